"""The directory endpoints of the agency API: agencies, services and regions of the client's district."""

from __future__ import annotations

from agencies.api.schemas import (
    AgencyDetail,
    AgencyPage,
    RegionList,
    ServicePage,
    agency_detail,
    agency_page,
    region_out,
    service_page,
)
from agencies.models import AgencyType, Region
from agencies.queries import (
    MAX_KEYWORD_LENGTH,
    get_agency_by_code,
    get_region_by_code,
    list_regions,
    paginate,
    query_directory,
    query_services,
)
from hamkke.api.errors import ApiError
from hamkke.api.registry import ApiCall, Param, api
from hamkke.errors import NotFound

DIRECTORY_SCOPE = "directory:read"
DIRECTORY_ERRORS = (400, 401, 403)
MAX_PER_PAGE = 100

#: pagination parameters shared by every list endpoint
PAGE_PARAMS = (
    Param("page", int, "Page number, from 1.", default=1, minimum=1, maximum=100_000),
    Param("per_page", int, "Items per page.", default=20, minimum=1, maximum=MAX_PER_PAGE),
)
REGION_PARAM = Param("region", str, "Code of a region (권역); see /regions.", max_length=40)
KEYWORD_PARAM = Param("q", str, "Keyword in names and descriptions.", max_length=MAX_KEYWORD_LENGTH)


def _region(call: ApiCall) -> Region | None:
    code = call.query.get("region")
    if not code:
        return None
    region = get_region_by_code(call.agency.district_id, code)
    if region is None:
        raise ApiError(
            400,
            "invalid_parameter",
            "'region' 값이 올바르지 않습니다. /api/v1/regions 의 코드를 보내 주세요.",
            "Unknown region code; see /api/v1/regions.",
            field="region",
        )
    return region


@api.operation(
    "/agencies",
    summary="Search the agencies of the client's district",
    tags=("Directory",),
    scopes=(DIRECTORY_SCOPE,),
    query=(
        Param("type", AgencyType, "Only agencies of this kind."),
        REGION_PARAM,
        Param("category", str, "Only agencies offering a service of this category.", max_length=40),
        KEYWORD_PARAM,
        *PAGE_PARAMS,
    ),
    response=AgencyPage,
    errors=DIRECTORY_ERRORS,
)
def list_agencies(call: ApiCall) -> AgencyPage:
    """List active agencies of the client's district, by name; regions filter agencies serving them."""
    region = _region(call)
    select = query_directory(
        call.agency.district_id,
        agency_type=call.query["type"],
        region_id=region.id if region else None,
        category=call.query["category"] or None,
        keyword=call.query["q"] or None,
    )
    return agency_page(paginate(select, page=call.query["page"], per_page=call.query["per_page"]))


@api.operation(
    "/agencies/<code>",
    summary="One agency with its services",
    tags=("Directory",),
    scopes=(DIRECTORY_SCOPE,),
    path=(Param("code", str, "The agency's code.", required=True, max_length=60),),
    response=AgencyDetail,
    errors=(*DIRECTORY_ERRORS, 404),
)
def get_agency(call: ApiCall) -> AgencyDetail:
    """Return an active agency of the client's district; 404 for unknown or other districts' agencies."""
    agency = get_agency_by_code(call.agency.district_id, call.path["code"])
    if agency is None:
        raise NotFound("기관을 찾을 수 없습니다.", english="No such agency.")
    return agency_detail(agency)


@api.operation(
    "/services",
    summary="Search the services (resource directory) of the client's district",
    tags=("Directory",),
    scopes=(DIRECTORY_SCOPE,),
    query=(
        Param("category", str, "Only services of this category.", max_length=40),
        REGION_PARAM,
        KEYWORD_PARAM,
        *PAGE_PARAMS,
    ),
    response=ServicePage,
    errors=DIRECTORY_ERRORS,
)
def list_services(call: ApiCall) -> ServicePage:
    """List active services of active agencies of the client's district, by category and name."""
    region = _region(call)
    select = query_services(
        call.agency.district_id,
        category=call.query["category"] or None,
        region_id=region.id if region else None,
        keyword=call.query["q"] or None,
    )
    return service_page(paginate(select, page=call.query["page"], per_page=call.query["per_page"]))


@api.operation(
    "/regions",
    summary="The regions (권역) and dongs of the client's district",
    tags=("Directory",),
    scopes=(DIRECTORY_SCOPE,),
    response=RegionList,
    errors=(401, 403),
)
def list_region_tree(call: ApiCall) -> RegionList:
    """List the district's regions in display order, each with its dongs."""
    return {"items": [region_out(region) for region in list_regions(call.agency.district_id)]}
