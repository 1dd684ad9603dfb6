"""The Spark engine: a job's Spark SQL run natively on Apache Spark (issue 13).

pyspark is imported only inside this package (lint-imports); install it with the
`tidemill[spark]` extra.
"""
