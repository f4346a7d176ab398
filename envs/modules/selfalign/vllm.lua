-- selfalign's generation environment (envs/vllm.yaml without conda): the virtual
-- environment .venv-vllm that envs/install-venvs.sh builds beside envs/. It holds
-- vLLM and transformers, so every generation rule loads it, whatever its backend.
whatis("selfalign: generation with vLLM or transformers (.venv-vllm)")
family("selfalign_environment")
local repository = myFileName():match("^(.*)/envs/modules/selfalign/[^/]+$")
local venv = pathJoin(repository, ".venv-vllm")
setenv("VIRTUAL_ENV", venv)
prepend_path("PATH", pathJoin(venv, "bin"))
