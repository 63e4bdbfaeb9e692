from demo.settings import *  # noqa: F403

ROOT_URLCONF = "testsite.urls"
