"""`manage.py announce TOPIC FIRST COUNT`: broadcast `{"n": FIRST..FIRST+COUNT-1}` on `feed:TOPIC`."""

from django.core.management.base import BaseCommand

import wasmlive


class Command(BaseCommand):
    help = "Broadcast numbered messages on feed:TOPIC."

    def add_arguments(self, parser):
        parser.add_argument("topic")
        parser.add_argument("first", type=int)
        parser.add_argument("count", type=int)

    def handle(self, topic, first, count, **options):
        for n in range(first, first + count):
            wasmlive.broadcast(f"feed:{topic}", {"n": n, "src": "command"})
        self.stdout.write(f"announced {count}")
