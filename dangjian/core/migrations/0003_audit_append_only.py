from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION core_audit_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    RAISE EXCEPTION 'core_auditentry is append-only';
  END IF;
  IF OLD.at > now() - interval '180 days' THEN
    RAISE EXCEPTION 'audit entries are kept at least 180 days';
  END IF;
  RETURN OLD;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditentry_append_only BEFORE UPDATE OR DELETE ON core_auditentry
  FOR EACH ROW EXECUTE FUNCTION core_audit_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry;
DROP FUNCTION IF EXISTS core_audit_append_only();
"""
SQLITE_UP = """
CREATE TRIGGER core_auditentry_no_update BEFORE UPDATE ON core_auditentry
BEGIN SELECT RAISE(ABORT, 'core_auditentry is append-only'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS core_auditentry_no_update;"


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    sql = PG_UP if vendor == "postgresql" else SQLITE_UP if vendor == "sqlite" else ""
    if sql:
        schema_editor.execute(sql)


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    sql = PG_DOWN if vendor == "postgresql" else SQLITE_DOWN if vendor == "sqlite" else ""
    if sql:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_seed_holidays")]
    operations = [migrations.RunPython(up, down)]
