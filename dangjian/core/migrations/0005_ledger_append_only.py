from django.db import migrations

TABLES = ("core_ledgertransaction", "core_ledgerentry")

PG_FUNC = """
CREATE OR REPLACE FUNCTION core_ledger_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'ledger rows are append-only: post a reversing transaction instead';
END;
$$ LANGUAGE plpgsql;
"""


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNC)
        for t in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
                "FOR EACH ROW EXECUTE FUNCTION core_ledger_append_only();"
            )
    elif vendor == "sqlite":
        # DELETE stays allowed on SQLite only because Django's test flush deletes rows there.
        for t in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} "
                f"BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END;"
            )


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for t in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {t}_append_only ON {t};")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {t}_no_update;")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS core_ledger_append_only();")


class Migration(migrations.Migration):
    dependencies = [("core", "0004_ledger")]
    operations = [migrations.RunPython(up, down)]
