from __future__ import annotations

import subprocess
import sys
from importlib import resources

import config_explorer
from config_explorer import errors


def test_import_stays_light() -> None:
    code = (
        "import sys, config_explorer, config_explorer.recommender;"
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        "('llm_optimizer', 'huggingface_hub', 'matplotlib', 'numpy', 'pandas')];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_typed_and_data_are_package_data() -> None:
    root = resources.files("config_explorer")
    assert (root / "py.typed").is_file()
    assert (root / "data" / "gpu_costs.json").is_file()


def test_one_exception_hierarchy() -> None:
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.ConfigExplorerError)
    assert set(errors.__all__) <= set(config_explorer.__all__)
