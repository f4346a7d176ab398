"""selfalign: LLMs that choose and make their own instruction-tuning data.

The package is plain Python with no Snakemake inside. Importing it (or the
modules the workflow reads while it builds the DAG: ``config``, ``records``,
``selection``) never imports torch or transformers; those load inside the
modules that need them.
"""

__version__ = "0.1.0"
