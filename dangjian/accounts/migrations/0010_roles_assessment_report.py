from django.db import migrations


def sync_roles(apps, schema_editor):
    """Secretaries file their organization's rectification reports (assessment.report)."""
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
    dependencies = [("accounts", "0009_people")]
    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
