from django.db import migrations


def sync_roles(apps, schema_editor):
    """City organization-department staff reveal sealed audit actors (audit.reveal_actor)."""
    from dangjian.accounts.models import new_grants_version
    from dangjian.accounts.roles import ROLES

    Role = apps.get_model("accounts", "Role")
    for r in ROLES:
        Role.objects.update_or_create(
            code=r.code, defaults={"name": r.name, "actions": list(r.actions), "reach": r.reach}
        )
    # Running processes cache grants per user version: make them read the roles afresh.
    apps.get_model("accounts", "User").objects.update(grants_version=new_grants_version())


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_roles_authorize_approval")]
    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
