"""Settings, read once at an entry point from TIDEMILL_* variables, then passed down explicitly."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tidemill.core.names import ACCOUNT_NAME
from tidemill.core.outbound import DEFAULT_DENY, AddressPolicy, networks


class ApiSettings(BaseModel):
    max_body_bytes: int = 4 * 1024 * 1024  # spec §1.6.3 REQ_TOO_LARGE proposal
    date_skew_seconds: int = 15 * 60  # spec §2.1: Date within 15 minutes of server time
    regions: tuple[str, ...] = ("nb",)  # spec §4.1: only "nb" is documented
    max_json_depth: int = 32  # objects/arrays nested in a body (the body is 1); deeper: E18007
    # listings (render, datasource files) one account may have in flight; more: 429 (safety2)
    max_listings_per_account: int = Field(default=2, ge=1)


class S3Settings(BaseModel):
    """An S3-compatible endpoint holding the kodo buckets; empty endpoint = local directories."""

    endpoint: str = ""  # e.g. http://127.0.0.1:8333
    access_key: str = ""
    secret_key: SecretStr = SecretStr("")
    region: str = "us-east-1"


class SparkSettings(BaseModel):
    """Where the Spark engine runs (TIDEMILL_SPARK__*; docs/decisions.md, "Spark engine")."""

    # a classic Spark master URL: local[N] (in this process's JVM) or spark://host:7077
    url: str = "local[2]"
    # a directory of extra jars on every Spark JVM's class path (scripts/spark-jars.sh prints
    # it): with hadoop-aws there, Spark reads s3:// inputs and writes s3:// results itself
    jars: str = ""
    # JVM heaps ("1g"): the driver's (which runs the tasks in local mode) and each executor's
    driver_memory: str = "1g"
    executor_memory: str = "1g"
    # spark.cores.max: the cores of a cluster one node's application takes ("": all offered)
    cores_max: str = ""


class HdfsSettings(BaseModel):
    """How the hdfs:// storage talks to namenodes and datanodes (TIDEMILL_HDFS__*).

    Without bounds hdfs-native retries a refused namenode for about three minutes and waits on a
    silent one for ever (measured; docs/decisions.md, "HDFS storage"): every call is bounded.
    """

    # seconds to open a namenode connection (a TCP connect)
    connect_timeout: float = Field(5.0, gt=0)
    # seconds one call may take: an RPC (a listing is one), or one chunk read or written
    operation_timeout: float = Field(60.0, gt=0)
    chunk_bytes: int = Field(4 * 1024 * 1024, gt=0)  # bytes read or written per call
    # seconds one storage call may take in all (a whole put or upload with its retries, a whole
    # read, a listing): past it the call fails naming the file; raise it for very large files
    deadline: float = Field(300.0, gt=0)
    # URI prefixes an account's hdfs datasources and exports must lie under, `{account}`
    # replaced by its name (core.hdfs_roots); empty: any path (a single-tenant installation)
    roots: tuple[str, ...] = ()


class FusionSettings(BaseModel):
    """Where fusion (Qiniu CDN access-log) datasources read their logs (TIDEMILL_FUSION__*).

    `url`: a storage URI (file:///logs, s3://bucket/prefix, hdfs://host:port/dir) laid out as
    `<url>/<domain>/<yyyy-MM-dd>/<HH>/<name>.gz`, one folder per hour in the installation's
    zone; or an http(s) endpoint of the Fusion log-list API (`POST <url>/v2/tune/log/list`).
    Empty: fusion datasources are refused at create.
    """

    url: str = ""
    # the share of unparsable lines (0.01 = 1%) above which a batch fails (spec §4.2.3)
    max_bad_share: float = Field(0.01, ge=0, le=1)
    timeout: float = Field(10.0, gt=0)  # seconds per log-list API request


class ExportSettings(BaseModel):
    """How exports run (spec §8): http/tsdb/logdb requests and the retention sweep."""

    http_timeout: float = 10.0  # seconds per request
    http_retries: int = 5  # D-22: retries of a failed request, with doubling back-off
    http_backoff: float = 0.5  # seconds before the first retry
    http_chunk_bytes: int = 2 * 1024 * 1024  # D-22: the Go SDK's PandoraMaxBatchSize
    retention_sweep_seconds: float = 600.0  # how often expired exported objects are deleted
    # Kind 7 / spec §8.2: a kodo export to a bucket that does not exist is refused at create
    # (E18122 / E18323) and fails its batch. True: accept it, and the batch creates the bucket
    # (in the account's own directory, or, on S3, only a bucket granted to the account).
    create_buckets: bool = False


class OutboundSettings(BaseModel):
    """Where http, logdb and tsdb exports may connect (TIDEMILL_OUTBOUND__DENY / __ALLOW).

    CIDR lists; an address in `deny` and in no `allow` network is refused, at create (the host
    as written, or every address its name resolves to) and again at connect time, after DNS.
    Loopback and private networks are allowed unless added to `deny` (docs/decisions.md).
    """

    deny: tuple[str, ...] = DEFAULT_DENY
    allow: tuple[str, ...] = ()

    @field_validator("deny", "allow")
    @classmethod
    def _cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        networks(value)  # raises ValueError naming the bad entry
        return value

    @property
    def policy(self) -> AddressPolicy:
        return AddressPolicy.from_strings(self.deny, self.allow)


class SchedulerSettings(BaseModel):
    """The crontab/loop scheduler (TIDEMILL_SCHEDULER__*)."""

    enabled: bool = True  # False: this process fires nothing (others sharing the database may)
    chunk: int = 100_000  # due schedules claimed per transaction (docs/performance.md)
    max_sleep_seconds: float = 30.0  # look at the store at least this often
    wait_poll_seconds: float = 1.0  # how often a loop waiting on a batch is re-checked


class RunnerSettings(BaseModel):
    """The batch runner (TIDEMILL_RUNNER__*)."""

    # False: this node serves the API and schedules but claims no batches; nodes sharing the
    # database run them (a stop issued here reaches the node running the batch through the
    # store). It then also leaves settling dead nodes' batches and the retention sweep to them.
    enabled: bool = True
    slots: int = Field(default=0, ge=0)  # batches run at once; 0: one per core, at most 4
    poll_seconds: float = Field(default=1.0, gt=0)  # how often the store is looked at unasked


class QuotaSettings(BaseModel):
    """Per-account limits (TIDEMILL_QUOTA__*), issue 14 item 3."""

    # Container units (cores x count, spec §3.3) of one account's batches executing at once.
    units: int = Field(default=100, ge=1)


class BackfillSettings(BaseModel):
    """Range backfills (TIDEMILL_BACKFILL__*), issue 14 item 1."""

    max_slots: int = Field(default=100_000, ge=1)  # slots one backfill may queue at most
    # batches an account's backfills may have waiting at once (a backfill past it is refused)
    max_waiting: int = Field(default=1_000_000, ge=1)


class Settings(BaseSettings):
    """Everything Tidemill can be told; see the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="TIDEMILL_", env_nested_delimiter="__", frozen=True, extra="ignore"
    )

    data_dir: Path = Path("./data")
    # Empty means "a SQLite file in the data directory"; else a SQLAlchemy URL such as
    # postgresql+psycopg://user:pass@host:5432/tidemill
    database_url: str = ""
    timezone: str = "Asia/Shanghai"
    # The SQL engine that runs batches and checks jobs' SQL (tidemill.engines.registry).
    # auto: Spark for a batch over more than engine_spark_min_bytes of listed input, in a
    # container above engine_spark_min_container_bytes (0: never), or with SQL DuckDB refuses.
    engine: Literal["duckdb", "spark", "auto"] = "duckdb"
    engine_spark_min_bytes: int = Field(
        default=2**30,
        ge=0,
        validation_alias=AliasChoices("TIDEMILL_ENGINE__SPARK_MIN_BYTES", "engine_spark_min_bytes"),
    )
    engine_spark_min_container_bytes: int = Field(
        default=0,
        ge=0,
        validation_alias=AliasChoices(
            "TIDEMILL_ENGINE__SPARK_MIN_CONTAINER_BYTES", "engine_spark_min_container_bytes"
        ),
    )
    spark: SparkSettings = SparkSettings()  # TIDEMILL_SPARK__URL
    host: str = "127.0.0.1"
    port: int = 9017
    # The bootstrap account: created (or refreshed) at start-up when both keys are set.
    access_key: str = ""
    secret_key: SecretStr = SecretStr("")
    account: str = "default"
    # Export targets (D-23); an export of an unconfigured type is refused with E18303.
    logdb_url: str = ""  # an Elasticsearch/OpenSearch-compatible endpoint with a _bulk API
    tsdb_url: str = ""  # an InfluxDB 1.x HTTP endpoint
    # report exports: a SQLAlchemy URL; {db} is replaced by the dbName (else dbName is a
    # schema of that database). Empty: one SQLite file per dbName in <data>/report/.
    report_url: str = ""
    # Where batch results are kept, as a storage URI (file:///srv/warehouse, s3://bucket/prefix
    # with TIDEMILL_S3__ENDPOINT). Empty: file://<data dir>/warehouse. Nodes sharing a database
    # must share it too (s3://), or a node cannot read the results another one wrote.
    warehouse_url: str = ""
    exports: ExportSettings = ExportSettings()  # TIDEMILL_EXPORTS__HTTP_RETRIES, ...
    api: ApiSettings = ApiSettings()
    s3: S3Settings = S3Settings()  # TIDEMILL_S3__ENDPOINT, TIDEMILL_S3__ACCESS_KEY, ...
    hdfs: HdfsSettings = HdfsSettings()  # TIDEMILL_HDFS__CONNECT_TIMEOUT, ...
    fusion: FusionSettings = FusionSettings()  # TIDEMILL_FUSION__URL, __MAX_BAD_SHARE
    scheduler: SchedulerSettings = SchedulerSettings()  # TIDEMILL_SCHEDULER__ENABLED, ...
    runner: RunnerSettings = RunnerSettings()  # TIDEMILL_RUNNER__ENABLED, __SLOTS, ...
    quota: QuotaSettings = QuotaSettings()  # TIDEMILL_QUOTA__UNITS
    backfill: BackfillSettings = BackfillSettings()  # TIDEMILL_BACKFILL__MAX_SLOTS
    outbound: OutboundSettings = OutboundSettings()  # TIDEMILL_OUTBOUND__DENY, __ALLOW
    # D-1: "seed" emits the seed table's codes; "sdk" the Go SDK's dedicated batch codes.
    error_codes: Literal["seed", "sdk"] = "seed"
    # Ops (issue 15): "json" logs one JSON object per line (observability.json_logs); true
    # lets batch metrics carry account and job labels (high cardinality: off by default).
    log_format: Literal["text", "json"] = "text"
    metrics_job_labels: bool = False

    @field_validator("account")
    @classmethod
    def _account_name(cls, value: str) -> str:
        # The account name names its storage directory (kodo/<account>/): one safe segment.
        if not ACCOUNT_NAME.fullmatch(value):
            raise ValueError(
                f"account name {value!r} is not valid: use 1-63 lowercase letters, digits or "
                "underscores, starting with a letter"
            )
        return value

    @field_validator("warehouse_url")
    @classmethod
    def _warehouse_uri(cls, value: str) -> str:
        scheme, sep, rest = value.partition("://")
        # Not mem://: each process would hold results of its own that no other process sees.
        if value and (not sep or scheme not in {"file", "s3", "hdfs"} or not rest.strip("/")):
            raise ValueError(
                f"warehouse URL {value!r} is not a storage URI every process can reach: use "
                "file:///absolute/dir, s3://bucket/prefix or hdfs://namenode:port/dir"
            )
        if scheme == "file" and value and not rest.startswith("/"):
            raise ValueError(f"warehouse URL {value!r} needs an absolute path (file:///dir)")
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def report_url_template(self) -> str:
        if self.report_url:
            return self.report_url
        return f"sqlite:///{(self.data_dir / 'report').resolve()}/{{db}}.sqlite"

    @property
    def warehouse(self) -> str:
        """The warehouse's storage URI, without a trailing '/'."""
        return self.warehouse_url or f"file://{(self.data_dir / 'warehouse').resolve()}"

    @property
    def metadata_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tidemill.db').resolve()}"


class WorkerConfig(BaseModel):
    """What a worker process is given (issue 11, item 6): only what running a batch needs.

    The metadata URL (the lease fence checks the batch's row before each publish), the storage
    settings (the data dir's local buckets and results, the S3 endpoint) and the export targets'
    settings (report, logdb, tsdb, the HTTP options and the outbound address policy). Never
    the bootstrap account's keys nor the API's, scheduler's or runner's settings. Built from
    `Settings` by the runner (`of`); picklable. Per batch, the plan carries the rest.
    """

    model_config = ConfigDict(frozen=True)

    metadata_url: str
    engine: str
    data_dir: Path
    s3: S3Settings
    hdfs: HdfsSettings
    exports: ExportSettings
    outbound: OutboundSettings
    tsdb_url: str
    logdb_url: str
    report_url_template: str
    fusion_url: str = ""  # an http(s) log-list API: the workers read its files over HTTP
    warehouse: str = ""  # settings.warehouse: hdfs exports never write under it
    spark: SparkSettings = SparkSettings()  # where a Spark plan runs (TIDEMILL_SPARK__*)

    log_format: str = "text"  # settings.log_format: how the worker logs

    @classmethod
    def of(cls, settings: Settings) -> WorkerConfig:
        return cls(
            metadata_url=settings.metadata_url,
            engine=settings.engine,
            data_dir=settings.data_dir.resolve(),
            s3=settings.s3,
            hdfs=settings.hdfs,
            exports=settings.exports,
            outbound=settings.outbound,
            tsdb_url=settings.tsdb_url,
            logdb_url=settings.logdb_url,
            report_url_template=settings.report_url_template,
            fusion_url=settings.fusion.url,
            warehouse=settings.warehouse,
            spark=settings.spark,
            log_format=settings.log_format,
        )
