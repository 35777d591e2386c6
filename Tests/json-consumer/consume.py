#!/usr/bin/env python3
"""A script written against docs/*.schema.json alone, as an operator's tooling would be: it validates each document
against its schema and summarises it from the structured fields, never from the text meant for people (`text`,
`message`). Used by Tests/sshm-reconcileTests/JSONOutputTests.swift.

    consume.py SCHEMA_DIR KIND=FILE...      (KIND: plan, status, validate or wait)
"""
import json
import sys

import jsonschema


def domain(d):
    if d is None:
        return "-"
    name = d["name"] if d["name"] is not None else "?"
    return name if d["domid"] is None else "%s(dom%d)" % (name, d["domid"])


def plan(doc):
    for a in doc["actions"]:
        line = "%s %s %s %s" % (a["kind"], a["region"], a["role"], domain(a["domain"]))
        if a["pages"] is not None:
            line += " 0x%x %d pages" % (a["begin"], a["pages"])
        if a["owner"] is not None:
            line += " from %s 0x%x" % (domain(a["owner"]), a["owner_begin"])
        yield line
    yield "totals " + " ".join("%s=%d" % (k, v) for k, v in sorted(doc["summary"].items()) if v)
    for r in doc["regions"]:
        yield "outlook %s %s %s" % (r["id"], r["condition"], r["reason"])


def status(doc):
    h = doc["hypervisor"]
    yield "hypervisor %s %s dom0=%s map_space=%s" % (h["kind"], h["arch"], h["control_domain"], h["map_space"])
    for r in doc["regions"]:
        ready = r["conditions"][0]
        assert ready["type"] == "Ready"
        current = next((c for c in r["conditions"] if c["status"] == "True"), ready)
        borrowers = ",".join(
            "%s:%s%s%s" % (domain(b), b["state"], "" if b["view"] is None else "/view=" + b["view"],
                           "" if b["doorbell"] is None else "/doorbell=" + b["doorbell"]["state"])
            for b in r["borrowers"])
        yield "region %s ready=%s %s/%s owner=%s view=%s borrowers=%s pending=%d" % (
            r["id"], ready["status"], current["type"], current["reason"], domain(r["owner"]), r["owner_view"],
            borrowers, r["pending_changes"])


def validate(doc):
    yield "files %d regions %d errors %d warnings %d" % (len(doc["files"]), doc["regions"], doc["errors"], doc["warnings"])
    for d in doc["diagnostics"]:
        yield "%s line %s" % (d["severity"], d["line"])


def wait(doc):
    yield "wait %s" % doc["outcome"]
    for p in doc["parts"]:
        yield "part %s %s %s in_place=%s" % (p["region"], p["role"], domain(p["domain"]), p["in_place"])


def main():
    schemas, documents = sys.argv[1], sys.argv[2:]
    for argument in documents:
        kind, path = argument.split("=", 1)
        schema = json.load(open("%s/%s.schema.json" % (schemas, kind)))
        jsonschema.Draft202012Validator.check_schema(schema)
        doc = json.load(open(path))
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
        for error in errors:
            print("INVALID %s at %s: %s" % (kind, "/".join(map(str, error.path)), error.message))
        if errors:
            sys.exit(1)
        for line in {"plan": plan, "status": status, "validate": validate, "wait": wait}[kind](doc):
            print(line)


main()
