"""Regions and departments, readable by everyone."""

from __future__ import annotations

from flask.views import MethodView

from app.catalogue import departments_repository as departments_repo
from app.catalogue import regions_repository as regions_repo
from app.http.api import Blueprint
from schemas.base import CataloguePageArgs, page_of
from schemas.catalogue import DepartmentArgs, DepartmentSchema, RegionSchema

blp = Blueprint("directory", __name__, url_prefix="/api/v1", description="Regions and departments")


@blp.route("/regions")
class Regions(MethodView):
    @blp.doc(operationId="listRegions")
    @blp.public_cache
    @blp.arguments(CataloguePageArgs, location="query")
    @blp.response(200, page_of(RegionSchema))
    def get(self, args):
        """All administrative regions served, in code order (a few dozen: one page unless
        `limit` asks for less)"""
        return regions_repo.page(args["limit"], args["cursor"]).to_dict()


@blp.route("/departments")
class Departments(MethodView):
    @blp.doc(operationId="listDepartments")
    @blp.public_cache
    @blp.arguments(DepartmentArgs, location="query")
    @blp.response(200, page_of(DepartmentSchema))
    def get(self, args):
        """Departments, optionally of a region and everything below it"""
        return departments_repo.page(
            args.get("region"), args.get("kind"), args["limit"], args["cursor"]
        ).to_dict()
