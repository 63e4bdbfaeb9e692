"""wasmlive's side of the database workload: the example project, plus this app."""

import os

from demo.settings import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ["BENCH_DB"]  # noqa: F405
INSTALLED_APPS = [*INSTALLED_APPS, "ormbench"]  # noqa: F405
DEBUG = False
