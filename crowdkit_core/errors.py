"""Exceptions raised for user errors, and :class:`NotFittedError` for a programming one.

Every ``CrowdkitError`` carries a message meant for the end user: it names the file or
entry at fault and how to fix it. The CLI prints it on one line and exits with code 2 (1 for
:class:`StrategyFailed`, a plugin's bug).
"""

from __future__ import annotations


class CrowdkitError(Exception):
    """Base class for errors caused by user input (files, specs, parameters)."""

    exit_code = 2


class DatasetError(CrowdkitError, ValueError):
    """An answers, metadata or truth file (or in-memory input) is malformed or inconsistent."""


class SpecError(CrowdkitError, ValueError):
    """A strategy spec such as ``DS[tol=1e-5]`` cannot be parsed or validated."""


class UnknownStrategyError(SpecError, LookupError):
    """No installed plugin provides the requested strategy name."""


class PluginError(CrowdkitError):
    """A plugin failed to load or registered something invalid."""


class EngineError(CrowdkitError):
    """An execution engine cannot run: not installed, unreachable, or not supported by the
    strategy asked to run on it."""


class StrategyFailed(CrowdkitError):
    """A strategy's own code raised an unexpected exception: a bug to report to its plugin's
    authors, not a mistake of the user. The CLI prints one line and exits with code 1
    (``CROWDKIT_TRACEBACK=1`` shows the original traceback)."""

    exit_code = 1


class NotImplementedYet(StrategyFailed, NotImplementedError):
    """A plugin's strategy or installer is still the ``crowd new-plugin`` skeleton: its
    ``_fit`` (or ``build``) has not been written. The message names the file to edit. Exit
    code 1 as for :class:`StrategyFailed`: the plugin, not the user's input, is incomplete."""


class NotFittedError(AttributeError, ValueError):
    """A fitted attribute (ending in ``_``) was read before ``fit`` was called.

    A bug in the calling code, not bad user input, so deliberately not a ``CrowdkitError``
    (the CLI must not report it as the user's mistake). As in scikit-learn it is an
    ``AttributeError`` (``hasattr`` is False before fit) and a ``ValueError``.
    """


class OutputError(CrowdkitError):
    """The output location cannot take the result set (a file where a folder must be, no
    write permission, a full disk): reported before fitting where it can be foreseen."""
