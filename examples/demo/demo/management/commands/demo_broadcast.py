"""`python manage.py demo_broadcast "text"`: post to the demo's chat from a shell."""

from django.core.management.base import BaseCommand

import wasmlive
from demo.views import ChatView


class Command(BaseCommand):
    help = "Post a message to the demo's chat, to every open chat page on every process."

    def add_arguments(self, parser):
        parser.add_argument("text")
        parser.add_argument("--as", dest="username", default="server")

    def handle(self, text, username, **options):
        wasmlive.broadcast(ChatView.topic, {"username": username, "message": text, "from": "shell"})
        self.stdout.write(f"posted to {ChatView.topic}")
