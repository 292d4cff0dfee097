from django.db import migrations


def sync_roles(apps, schema_editor):
    """Roles became layered: each level holds what the levels below it hold."""
    from dangjian.accounts.roles import ROLES

    Role = apps.get_model("accounts", "Role")
    for r in ROLES:
        Role.objects.update_or_create(
            code=r.code, defaults={"name": r.name, "actions": list(r.actions), "reach": r.reach}
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles")]
    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
