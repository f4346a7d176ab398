-- selfalign's training environment (envs/train.yaml without conda): the virtual
-- environment .venv that envs/install-venvs.sh builds beside envs/.
--   module use /path/to/selfalign/envs/modules
--   snakemake --profile profiles/slurm --sdm env-modules ...
whatis("selfalign: training, embedding, selection, judging and plots (.venv)")
family("selfalign_environment")
local repository = myFileName():match("^(.*)/envs/modules/selfalign/[^/]+$")
local venv = pathJoin(repository, ".venv")
setenv("VIRTUAL_ENV", venv)
prepend_path("PATH", pathJoin(venv, "bin"))
