from django.db import migrations


def sync_roles(apps, schema_editor):
    """The member registry added members.checkin_view to secretaries (the community's
    check-in view) and members.checkin to members (reporting to their community)."""
    from dangjian.accounts.roles import ROLES

    Role = apps.get_model("accounts", "Role")
    for r in ROLES:
        Role.objects.update_or_create(code=r.code, defaults={"name": r.name, "actions": list(r.actions), "reach": r.reach})


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial"), ("accounts", "0002_roles")]
    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
