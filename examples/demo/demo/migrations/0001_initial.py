from django.db import migrations, models


def first_items(apps, schema_editor):
    Todo = apps.get_model("demo", "Todo")
    for position, text in enumerate(["Write the view", "Write the template", "Ship it"], start=1):
        Todo.objects.create(id=position, text=text, position=position)


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Todo",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("text", models.CharField(max_length=200)),
                ("position", models.IntegerField(default=0)),
            ],
            options={"ordering": ["position", "id"]},
        ),
        migrations.RunPython(first_items, migrations.RunPython.noop),
    ]
