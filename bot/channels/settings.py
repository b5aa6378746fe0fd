"""The base of every config section: a wrong key stops start-up by name."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    # defer_build: `ask` and the tests import these classes without reading a config file;
    # their validators are built when a config is first validated.
    model_config = ConfigDict(extra="forbid", defer_build=True)
