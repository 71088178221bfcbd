"""``crmbridge mapping suggest``: a starter field mapping file from both CRMs' custom field definitions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from crmbridge._cli._app import app, err
from crmbridge._cli._errors import UserError
from crmbridge._cli._options import (
    FromCrm,
    FromToken,
    FromUrl,
    Options,
    ToCrm,
    ToToken,
    ToUrl,
    check_writable,
    open_both_ends,
)

__all__ = ["load_mapping", "mapping_app", "suggest_mapping"]

mapping_app = typer.Typer(
    help="Field mapping files: which source custom field fills which target field.", rich_markup_mode=None
)
app.add_typer(mapping_app, name="mapping", no_args_is_help=True)


def load_mapping(path: Path | None) -> object:
    """The parsed ``--mapping FILE`` (shape checked now; its fields are checked against the CRMs later)."""
    if path is None:
        return None
    from crmbridge.errors import FieldMappingError
    from crmbridge.sync import load_field_mapping

    try:
        return load_field_mapping(path)
    except FieldMappingError as error:
        raise UserError(f"--mapping {error}", "write a starter file with: crmbridge mapping suggest") from None


@mapping_app.command("suggest")
def suggest_mapping(
    ctx: typer.Context,
    source: FromCrm,
    target: ToCrm,
    output: Annotated[str, typer.Option(metavar="FILE", help="Mapping file to write ('-': stdout).")] = "-",
    from_token: FromToken = None,
    to_token: ToToken = None,
    from_url: FromUrl = None,
    to_url: ToUrl = None,
    from_option: Options = [],  # noqa: B006
    to_option: Options = [],  # noqa: B006
) -> None:
    """Pair both CRMs' custom fields by name and type into a mapping file for 'migrate --mapping FILE'."""
    from crmbridge.sync import suggest_field_mapping

    if output != "-":
        check_writable(Path(output), "--output")
    ends = (source, from_token, from_url, from_option), (target, to_token, to_url, to_option)
    with open_both_ends(ctx, *ends) as (src, dst):
        text = suggest_field_mapping(src.system, dst.system, src.custom_field_defs(), dst.custom_field_defs())
    pairs = text.count("[[field]]")
    if output == "-":
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")
        err.print(
            f"wrote {output}: {pairs} suggested lines; review them, then: crmbridge migrate ... --mapping {output}"
        )
