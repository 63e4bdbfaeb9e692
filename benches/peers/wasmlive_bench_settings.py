"""wasmlive's side of the end-to-end benchmark: the example project, with the
per-connection frame rate limit off (a load generator sends thousands of
frames a second on one socket), as djust's rate limits are raised."""

from demo.settings import *  # noqa: F403

LIVEVIEW_CONFIG = {**LIVEVIEW_CONFIG, "max_frames_per_second": None}  # noqa: F405
