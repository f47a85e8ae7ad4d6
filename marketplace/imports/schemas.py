"""Schemas of the import endpoint: multipart form in, per-row report out."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload

from marketplace.api.fields import ID_RANGE
from marketplace.api.smorest import Schema
from marketplace.imports.formats import ImportFormat

#: Database ids are PostgreSQL ``integer``s; a larger one would overflow in the driver.


class ImportQueryArgsSchema(Schema):
    dry_run = ma.fields.Boolean(
        load_default=False, metadata={"description": "Check every row and report, writing nothing."}
    )


class ImportFormSchema(Schema):
    """The multipart body: the file and the two form fields that say what it is and where it goes."""

    file = Upload(required=True, metadata={"description": "The CSV file (UTF-8 or Windows-1252; , ; tab or |)."})
    format = ma.fields.Enum(
        ImportFormat,
        by_value=True,
        required=True,
        metadata={"description": "native (documented CSV), glpi (Computers list export), snipeit (assets export)"},
    )
    organisation_id = ma.fields.Integer(required=True, strict=False, validate=ID_RANGE, metadata={"example": 1})


class ExportQueryArgsSchema(Schema):
    organisation_id = ma.fields.Integer(required=True, validate=ID_RANGE)


class RowErrorSchema(Schema):
    row = ma.fields.Integer(metadata={"description": "Line in the file (the header is line 1)."})
    field = ma.fields.String()
    message = ma.fields.String()


class ImportReportSchema(Schema):
    dry_run = ma.fields.Boolean()
    format = ma.fields.String()
    encoding = ma.fields.String(metadata={"description": "Encoding the file was read with."})
    delimiter = ma.fields.String()
    rows = ma.fields.Integer(metadata={"description": "Data rows read (blank lines skipped)."})
    created = ma.fields.Integer()
    updated = ma.fields.Integer()
    unchanged = ma.fields.Integer()
    failed = ma.fields.Integer(metadata={"description": "Rows refused; each has one or more errors."})
    errors = ma.fields.List(ma.fields.Nested(RowErrorSchema))
    errors_truncated = ma.fields.Boolean(metadata={"description": "More errors than listed (at most 1000)."})
