"""crowdkit-deep: image classifiers trained from crowd labels (``crowd train``) and end to end
from the raw answers (``crowd aggregate-deep``: CrowdLayer, CoNAL).

Only the modules that train import torch; ``registration``, ``params`` and ``images`` stay
light so that ``crowd --help`` and ``crowd list-strategies`` never load it.
"""
