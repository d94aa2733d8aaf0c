"""Installers of the audio group (registered from ``REGISTRY``; modules import lazily)."""

from crowdkit_core.registry import DatasetInfo

REGISTRY: list[DatasetInfo] = [
    DatasetInfo(
        name="music",
        target="crowdkit_datasets.audio.music:MusicInstaller",
        summary="Music genre: 700 GTZAN songs, 44 MTurk workers, 10 genres (Rodrigues et al. 2014)",
        aliases=("music-genre",),
    ),
    DatasetInfo(
        name="bird_audio",
        target="crowdkit_datasets.audio.bird_audio:BirdAudioInstaller",
        summary="Bird sounds: Kerttu citizen-science validations of candidate vocalizations, "
                "2 classes, expert labels (Zenodo 7030863)",
        aliases=("birds-audio",),
    ),
]
