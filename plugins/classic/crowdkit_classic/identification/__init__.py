"""Identification methods of crowdkit-classic: which tasks are ambiguous and which workers
are unreliable (entropy, Krippendorff's alpha, spam score, confusion trace, reliability)."""
