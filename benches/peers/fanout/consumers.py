import json

from channels.generic.websocket import AsyncWebsocketConsumer


class ForwardConsumer(AsyncWebsocketConsumer):
    """The Channels way: each socket joins the group and forwards what group_send sends it."""

    async def connect(self):
        await self.channel_layer.group_add("fan", self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard("fan", self.channel_name)

    async def fan_message(self, event):
        await self.send(text_data=json.dumps({"n": event["n"]}))
