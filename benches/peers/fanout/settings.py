"""The fan-out benchmark's Django side (benches/fanout.py): one process of
many, all on one Redis (FANOUT_REDIS) — wasmlive's PubSub for its views,
channels_redis for the Channels group the peer's consumers join."""

import os

from demo.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "fanout"]  # noqa: F405
ROOT_URLCONF = "fanout.urls"
DEBUG = False
LIVEVIEW_CONFIG = {
    **LIVEVIEW_CONFIG,  # noqa: F405
    "max_frames_per_second": None,
    "pubsub": {"redis_url": os.environ["FANOUT_REDIS"]},
}
# channels_redis at its defaults (capacity 100 per channel), but for the
# pool: at its default, thousands of sockets joining at once fail with
# "Too many connections" from redis-py.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # socket_timeout None: redis-py 8 reads with a 5 s timeout by default, as
        # long as channels_redis's BZPOPMIN waits, and every consumer's receive
        # then fails with TimeoutError (django/channels_redis#422).
        "CONFIG": {"hosts": [{"address": os.environ["FANOUT_REDIS"], "max_connections": 2000, "socket_timeout": None}]},
    }
}
