"""``crowd new-plugin``: generates a complete, pip-installable plugin distribution (entry
point, light registration, parameters model, a strategy / method / installer skeleton that
says it is not implemented yet, a README and tests running the conformance kit).

:mod:`.names` derives every name from NAME; :mod:`.generate` renders the templates (package
data under ``templates/``) and writes them as one set.
"""

from crowdkit_core.scaffold.generate import GeneratedPlugin, generate_plugin, render_plugin
from crowdkit_core.scaffold.names import PLUGIN_KINDS, PluginNames, plugin_names

__all__ = ["GeneratedPlugin", "PLUGIN_KINDS", "PluginNames", "generate_plugin", "plugin_names",
           "render_plugin"]
