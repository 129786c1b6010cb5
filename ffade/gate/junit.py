"""JUnit XML for ``ffade check``: one test per case, so CI systems list and track each region."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ffade.gate.evaluate import CaseResult
from ffade.records import atomic_path

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot hold, escaped or not: a name with one made a report no parser reads."""


def xml_text(text: str) -> str:
    """``text`` as XML can hold it: a control character (a label with an ANSI colour code, a
    case name holding a form feed) written as ``\\x1b``; the rest kept as it is."""
    return _NOT_XML.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def failure_message(result: CaseResult) -> str:
    """E.g. "failure rate 43.8% > max 25.0% (56 of 128 pairs)"."""
    rate, bound = result.shown_rates()
    return f"failure rate {rate} > max {bound} ({result.failures} of {result.pairs} pairs)"


def junit_xml(
    results: list[CaseResult], suite_name: str, seconds: float, classname: str | None = None
) -> ET.ElementTree:
    """A ``<testsuites>`` document with one ``<testsuite>`` and a ``<testcase>`` per case, whose
    classname is ``classname`` (the suite's name when None)."""
    failures = sum(not r.passed for r in results)
    root = ET.Element("testsuites", tests=str(len(results)), failures=str(failures))
    suite = ET.SubElement(
        root,
        "testsuite",
        name=xml_text(suite_name),
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
        skipped="0",
        time=f"{seconds:.3f}",
    )
    for result in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=xml_text(classname or suite_name),
            name=xml_text(str(result.case.name)),
            time="0",
        )
        properties = ET.SubElement(case, "properties")
        for name, value in (
            ("conditions", result.case.conditions),
            ("failure_rate", f"{result.failure_rate:.4f}"),
            ("max_failure_rate", f"{result.case.max_failure_rate:.4f}"),
            ("pairs", str(result.pairs)),
            ("failures", str(result.failures)),
        ):
            ET.SubElement(properties, "property", name=name, value=xml_text(value or ""))
        if not result.passed:
            failure = ET.SubElement(
                case, "failure", message=failure_message(result), type="FailureRateAboveMax"
            )
            where = result.case.conditions  # a hand-written case may leave it out
            failure.text = xml_text(
                f"{where}: {failure_message(result)}" if where else failure_message(result)
            )
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(
    results: list[CaseResult],
    path: str | Path,
    suite_name: str,
    seconds: float,
    classname: str | None = None,
):
    """Write the XML with its declaration, creating the folder if needed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        junit_xml(results, suite_name, seconds, classname).write(
            tmp, encoding="utf-8", xml_declaration=True
        )
    return path
