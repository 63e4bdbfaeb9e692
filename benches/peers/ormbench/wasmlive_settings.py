"""wasmlive's side of the database workload: the end-to-end settings, plus this app."""

import os

from wasmlive_bench_settings import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ["BENCH_DB"]  # noqa: F405
INSTALLED_APPS = [*INSTALLED_APPS, "ormbench"]  # noqa: F405
DEBUG = False
