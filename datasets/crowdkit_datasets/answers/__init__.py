"""Installers of the answers group (registered from ``REGISTRY``; modules import lazily).

Answer-only real datasets: Zheng et al.'s truth-inference benchmarks, Snow et al.'s NLP
tasks, bluebirds, crowd-kit's categorical sets and the shipped ones (no network).
"""

from crowdkit_core.registry import DatasetInfo

_P = "crowdkit_datasets.answers"


def _info(name: str, target: str, summary: str, *aliases: str) -> DatasetInfo:
    return DatasetInfo(name=name, target=f"{_P}.{target}", summary=summary, aliases=aliases)


REGISTRY: list[DatasetInfo] = [
    _info("zheng_duck", "zheng:ZhengDuck", "Zheng et al. 2017: duck identification (bluebirds), 2 classes"),
    _info("zheng_product", "zheng:ZhengProduct", "Zheng et al. 2017: D_Product entity resolution, 2 classes", "d_product"),
    _info("zheng_sentiment", "zheng:ZhengSentiment", "Zheng et al. 2017: D_PosSent tweet sentiment, 2 classes", "d_possent"),
    _info("zheng_dog", "zheng:ZhengDog", "Zheng et al. 2017: dog breeds, 4 classes"),
    _info("zheng_face", "zheng:ZhengFace", "Zheng et al. 2017: face sentiment identification"),
    _info("zheng_relevance", "zheng:ZhengRelevance", "Zheng et al. 2017: S_Rel TREC 2011 relevance, 4 grades", "s_rel"),
    _info("zheng_adult", "zheng:ZhengAdult", "Zheng et al. 2017: S_Adult adult-content rating, 4 classes", "s_adult"),
    _info("rte", "snow:SnowRte", "Snow et al. 2008: textual entailment, 2 classes"),
    _info("temp", "snow:SnowTemp", "Snow et al. 2008: temporal ordering, 2 classes"),
    _info("wsd", "snow:SnowWsd", "Snow et al. 2008: word sense disambiguation, 3 classes"),
    _info("bluebirds", "bluebirds:Bluebirds", "Welinder et al. 2010 bluebirds, 2 classes"),
    _info("relevance-2", "crowdkit_sets:Relevance2", "crowd-kit: Yandex relevance, 2 grades"),
    _info("relevance-5", "crowdkit_sets:Relevance5", "crowd-kit: Yandex relevance, 5 grades"),
    _info("nist-trec-relevance", "crowdkit_sets:NistTrecRelevance", "crowd-kit: TREC 2010 relevance feedback judgements"),
    _info("sentiment_polarity", "shipped:SentimentPolarity", "Rodrigues et al. 2013 sentence polarity, 2 classes (shipped)"),
    _info("labelme_answers", "shipped:LabelMeAnswers", "LabelMe answers only, 8 classes (shipped)"),
    _info("music_answers", "shipped:MusicAnswers", "Music genre answers only, 10 classes (shipped)"),
]
