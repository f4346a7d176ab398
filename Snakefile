# selfalign: LLMs that choose and make their own instruction-tuning data.
#   snakemake                                       # the CPU demo (config/config.yaml)
#   snakemake --profile profiles/slurm --configfile config/diverseevol_dolly.yaml
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger
from snakemake.utils import min_version, validate

min_version("9.0")

# Planning imports the light parts of the library from src/ (installed or not);
# jobs import it from their environment (see envs/*.post-deploy.sh).
sys.path.insert(0, str(Path(workflow.basedir) / "src"))


# The demo's config unless --configfile names another (it then replaces the demo's;
# --config alone adjusts the demo's).
if not workflow.overwrite_configfiles:

    configfile: Path(workflow.basedir) / "config/config.yaml"


from selfalign.config import ConfigError, describe_schema_error, rename_deprecated_keys

try:
    for message in rename_deprecated_keys(config):
        logger.warning(f"Warning: {message}")
    validate(config, "workflow/schemas/config.schema.yaml")
except ConfigError as err:
    raise WorkflowError(f"invalid config: {err}") from None
except WorkflowError as err:
    raise WorkflowError(describe_schema_error(err) or str(err)) from None


# Jobs of seconds that need no GPU are marked `localrule: True`: on a cluster
# they run where Snakemake runs, not through the queue (whose latency would
# dwarf them). Judging is local too (pairwise and AlpacaEval): it only waits on
# API calls, and compute nodes often have no route to the internet.


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/diverse_evol.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/humback.smk"
include: "workflow/rules/report.smk"


try:  # every batch, on the GPUs the profile gives its rule
    check_batches(config, RUNS, rule_processes)
except ConfigError as err:
    raise WorkflowError(f"invalid config: {err}") from None

# model states against the GPU memory the profile gives each fine-tune (gpu_memory_gb)
for warning in gpu_memory_warnings(
    config,
    RUNS,
    rule_shape,
    lambda rule: rule_resource(rule, "gpu_memory_gb"),
    lambda training: training_settings(training).get("deepspeed"),
):
    logger.warning(f"Warning: {warning}")


# One config at a time in this folder (selfalign.cluster.results_claim): a dry run warns,
# a run refuses unless --nolock.
if workflow.is_main_process:
    from selfalign.cluster import results_claim

    if conflict := results_claim.conflicting_run(config):
        logger.warning(f"Warning: {conflict}")

    onstart:
        if workflow.execution_settings.lock:
            if conflict := results_claim.conflicting_run(config):
                raise WorkflowError(conflict)
            results_claim.claim(config, workflow.configfiles)

    onsuccess:
        results_claim.release()

    onerror:
        results_claim.release()


rule all:
    localrule: True
    input:
        final_targets(),
    default_target: True
