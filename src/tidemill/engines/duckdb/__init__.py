"""The DuckDB engine: the job's Spark SQL translated to DuckDB's (`dialect`), run in a sealed
in-process database over the batch's input files (`reading`), with the output schemas of job
create (`database.output_schema`) and datasource schema inference (`inference`).

The only package that imports `duckdb`, with the file sinks (tidemill.exporters); import-linter
enforces it.
"""
