"""The bundled catalogs (models, GPUs) and name resolution."""

from willitrun.catalog.load import Catalog, load_catalog
from willitrun.catalog.types import GpuSpec

__all__ = ["Catalog", "GpuSpec", "load_catalog"]
