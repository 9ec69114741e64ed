"""The analysis commands load neither the web stack nor scipy before they need them."""

import subprocess
import sys


def test_importing_the_analysis_commands_loads_no_web_stack_nor_numeric_libraries() -> None:
    probe = (
        "import sys, analysis.cli; "
        "print(sorted(m for m in ('flask', 'sqlalchemy', 'alembic', 'scipy', 'pandas', 'numpy') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_domain_estimate_does_not_import_scipy(tmp_path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("y,w,s,p\n1,1,1,1\n2,1,1,2\n3,2,2,3\n4,1,2,4\n")
    probe = (
        "import sys\n"
        "from analysis.cli import analyze\n"
        f"analyze(['estimate', {str(path)!r}, '--weight', 'w', '--strata', 's', '--psu', 'p',"
        " '--var', 'y', '--by', 's'], standalone_mode=False)\n"
        "print('scipy' in sys.modules, 'flask' in sys.modules, 'pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    # Numeric columns go from pyarrow to NumPy: pandas (a third of the start-up) stays unloaded.
    assert done.stdout.strip().splitlines()[-1] == "False False False"
