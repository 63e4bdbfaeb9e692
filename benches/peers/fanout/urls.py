from channels.layers import get_channel_layer
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
async def publish(request):
    """channels_redis's group_send to every member, as a Django view would."""
    await get_channel_layer().group_send("fan", {"type": "fan.message", "n": int(request.POST["n"])})
    return HttpResponse("ok")


urlpatterns = [path("publish/", publish)]
