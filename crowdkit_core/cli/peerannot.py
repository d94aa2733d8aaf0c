"""peerannot's command-line words that crowdkit spells differently: the ``*info`` commands,
the method names crowdkit does not have (with what to use instead) and the options that
become a strategy parameter. The commands call these; docs/migration-peerannot.md lists
every mapping."""

from __future__ import annotations

from typing import Any, Sequence

#: peerannot command -> the crowd command line it runs (hidden: ``crowd --help`` omits them).
COMMAND_ALIASES: dict[str, tuple[str, ...]] = {
    "agginfo": ("list-strategies", "--kind", "aggregation", "--kind", "trainer"),
    "identificationinfo": ("list-strategies", "--kind", "identification"),
    "modelinfo": ("list-models",),
}

#: Where each alias's target comes from, for the error when it is not installed.
_PROVIDERS = {"list-models": "crowdkit-deep (pip install crowdkit-deep)"}

#: peerannot strategy names crowdkit has no strategy for (normalised), with the advice.
MISSING: dict[str, str] = {
    "aum": "AUM ranks tasks by the margins of a network trained on them; crowdkit has no "
           "margin-based identification yet: rank tasks with `crowd identify DATASET -s "
           "'entropy[on=DS]'` or workers with -s spam_score",
    "waum": "WAUM needs a network trained on every (task, answer) pair; crowdkit has no "
            "margin-based identification yet: use `crowd identify DATASET -s 'entropy[on=DS]'` "
            "and train on the kept tasks with `crowd train --path-remove`",
    "waumperworker": "WAUM_perworker trains one network per worker; crowdkit does not have it: "
                     "use -s spam_score or -s 'reliability[on=GLAD]' to find bad workers",
    "waumstacked": "WAUMstacked was peerannot's earlier name of WAUM; crowdkit does not have "
                   "it: use `crowd identify DATASET -s 'entropy[on=DS]'`",
    "iterativewawa": "IterativeWawa (10 rounds of votes weighted by agreement with the vote) "
                     "was dropped from peerannot; use IWMV (iterative weighted majority vote) "
                     "or Wawa (one round)",
}


#: peerannot option spellings with an underscore -> crowd's (accepted by every command).
OPTION_SPELLINGS: dict[str, str] = {"--metadata_path": "--metadata-path"}

#: peerannot's ``identify`` options that only configure AUM / WAUM (a trained network).
MARGIN_OPTIONS = frozenset({
    "--hard-labels", "--use-pleiss", "--model", "--n-epochs", "--alpha", "--topk", "--n-params",
    "--lr", "--pretrained", "--momentum", "--decay", "--img-size", "-optim", "--optimizer",
    "--data-augmentation", "--freeze",
})


def expand_alias(args: Sequence[str], commands: Sequence[str]) -> list[str]:
    """``args`` (a command and its arguments) in crowd's words: a leading peerannot
    ``*info`` command replaced by the crowd command line it stands for, and peerannot's
    underscore option spellings (``--metadata_path``) by crowd's, up to a ``--``. peerannot's
    AUM / WAUM training options given to ``identify`` are an error saying why."""
    from crowdkit_core.errors import CrowdkitError

    words = list(args)
    if words and words[0] not in commands and words[0] in COMMAND_ALIASES:
        target = COMMAND_ALIASES[words[0]]
        if target[0] not in commands:
            raise CrowdkitError(f"crowd {words[0]} (peerannot's) runs `crowd {' '.join(target)}`, "
                                f"which needs {_PROVIDERS.get(target[0], 'a plugin')}")
        words[:1] = target
    for i, word in enumerate(words):
        if word == "--":
            break
        name, eq, value = word.partition("=")
        if name in OPTION_SPELLINGS:
            words[i] = OPTION_SPELLINGS[name] + eq + value
        if words[0] == "identify" and name in MARGIN_OPTIONS:
            raise CrowdkitError(f"{name}: peerannot's identify uses it for AUM / WAUM only, which "
                                f"crowdkit does not have. {MISSING['waum']}")
    return words


def missing_method_message(text: str) -> str | None:
    """The one-line error for a peerannot strategy crowdkit lacks (``text`` is the spec as
    typed), or None when the name is not one of them."""
    from crowdkit_core.registry import normalize_name
    from crowdkit_core.spec import parse_spec

    from crowdkit_core.errors import CrowdkitError

    try:
        name = parse_spec(text).name
    except CrowdkitError:  # a malformed spec: the resolver reports it with its caret
        return None
    advice = MISSING.get(normalize_name(name))
    return None if advice is None else \
        f"{name}: peerannot's method is not in crowdkit. {advice} (see docs/migration-peerannot.md)"


def resolve(text: str, **kwargs: Any) -> Any:
    """:func:`crowdkit_core.application.resolve_strategy`, with the peerannot advice instead
    of "unknown strategy" for the names crowdkit lacks."""
    from crowdkit_core.application import resolve_strategy
    from crowdkit_core.errors import UnknownStrategyError

    try:
        return resolve_strategy(text, **kwargs)
    except UnknownStrategyError:
        message = missing_method_message(text)
        if message is None:
            raise
        raise UnknownStrategyError(message) from None


def max_iter_override(spec: Any, max_iter: int, registry: Any = None) -> str:
    """peerannot's ``--maxiter-dawid-skene N`` as an override of the method's ``on=``
    strategy: ``on='<its spec with max_iter=N>'``. A one-line error when the method fits no
    strategy (no ``on``, or ``on`` unset)."""
    from crowdkit_core.application import resolve_strategy
    from crowdkit_core.errors import SpecError

    on = getattr(spec.params, "on", None)
    if on is None:
        raise SpecError(f"--maxiter-dawid-skene: {spec.canonical} fits no aggregation strategy "
                        "(it has no on= spec); drop the option or set on=, e.g. "
                        f"'{spec.info.name}[on=DS]'")
    from crowdkit_core.spec import format_value

    inner = resolve_strategy(on, overrides=[f"max_iter={max_iter}"], registry=registry)
    return f"on={format_value(inner.canonical)}"
