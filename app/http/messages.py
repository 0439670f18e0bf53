"""Messages our code answers with but does not write: marshmallow's and werkzeug's defaults and
the HTTP reason phrases a bare DomainError carries. Listed here only so that `make
translations` extracts them into the catalogue; app/i18n.py translates them when answered."""

from __future__ import annotations

from app.i18n import N_

LIBRARY_MESSAGES = (
    # marshmallow fields
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Unknown field."),
    N_("Invalid input type."),
    N_("Invalid type."),
    N_("Invalid value."),
    N_("Invalid input."),
    N_("Not a valid string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Not a valid boolean."),
    N_("Not a valid list."),
    N_("Not a valid tuple."),
    N_("Not a valid mapping type."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid email address."),
    N_("Not a valid URL."),
    N_("Not a valid UUID."),
    N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid {obj_type}."),
    # marshmallow validators (Range formats its operators in when built)
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Shorter than minimum length {min}."),
    N_("Longer than maximum length {max}."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("String does not match expected pattern."),
    N_("Must be one of: {choices}."),
    N_("Must be equal to {other}."),
    # webargs
    N_("Invalid JSON body."),
    # werkzeug's descriptions of the errors it raises itself
    N_(
        "The requested URL was not found on the server. If you entered the URL manually please "
        "check your spelling and try again."
    ),
    N_("The method is not allowed for the requested URL."),
    N_("The browser (or proxy) sent a request that this server could not understand."),
    N_("The data value transmitted exceeds the capacity limit."),
    N_("The server does not support the media type transmitted in the request."),
    # reason phrases (a DomainError raised without a message)
    N_("Bad Request"),
    N_("Unauthorized"),
    N_("Forbidden"),
    N_("Not Found"),
    N_("Method Not Allowed"),
    N_("Conflict"),
    N_("Precondition Failed"),
    N_("Request Entity Too Large"),
    N_("Unsupported Media Type"),
    N_("Unprocessable Entity"),
    N_("Too Many Requests"),
    N_("Internal Server Error"),
    N_("Service Unavailable"),
)
