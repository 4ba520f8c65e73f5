"""Rules of the API that JSON Schema cannot state, for scripts/schemathesis.sh.

The document gives every field the constraint the API enforces on it, and
the rules that tie fields together wherever a schema can say them (only an
individual has individual details; a branch number needs a business
number). Three rules compare two values, which no schema can do; the API
refuses them with a 422 naming the field. So schemathesis does not generate
such requests: each is dropped here, and nothing else is.
"""

import re

import schemathesis

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _before(later, earlier):
    """Whether both are dates and `later` is before `earlier`."""
    dates = all(isinstance(d, str) and DATE.match(d) for d in (later, earlier))
    return dates and later < earlier


@schemathesis.hook
def filter_case(context, case):
    body = case.body if isinstance(case.body, dict) else {}
    # An association's end date is not before its start date.
    if _before(body.get("endDate"), body.get("startDate")):
        return False
    # An individual's date of death is not before their date of birth.
    person = body.get("individual")
    if isinstance(person, dict) and _before(person.get("dateOfDeath"), person.get("dateOfBirth")):
        return False
    # A client is not associated with itself.
    client = (case.path_parameters or {}).get("client")
    if client is not None and body.get("relatedClientId") == client:
        return False
    return True
