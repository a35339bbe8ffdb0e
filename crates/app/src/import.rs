//! Bulk import of csv and jsonl files, streaming: rows are parsed on a blocking
//! thread and handed over in bounded batches, so a file of millions of rows never
//! sits in memory. By default a file is all or nothing (one transaction, nothing
//! written if any row is bad, every bad row reported with line and field);
//! `partial` writes the good rows and reports the rest.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use retail_domain::{
    BehaviourEvent, Category, Contract, Customer, EntityKind, GoodsReceipt, KbArticle, Location, Movement, Order,
    Product, PurchaseOrder, Supplier, TransferOrder, Validate, Vehicle,
};
use retail_store::{Applied, StoreError, WriteSet};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use crate::cells::{Node, from_rows};
use crate::ids::new_id;
use crate::platform::Platform;
use crate::service::{ServiceError, ServiceResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImportFormat {
    Csv,
    Jsonl,
}

impl ImportFormat {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "jsonl" | "ndjson" => Some(Self::Jsonl),
            _ => None,
        }
    }

    /// Guesses from a file name's extension.
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        path.extension().and_then(|e| e.to_str()).and_then(Self::parse)
    }
}

/// What a file holds: one entity kind, behaviour events or stock movements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Entity(EntityKind),
    Events,
    Movements,
}

impl ImportKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "events" => Some(Self::Events),
            "movements" => Some(Self::Movements),
            other => EntityKind::from_plural(other).map(Self::Entity),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Entity(k) => k.plural(),
            Self::Events => "events",
            Self::Movements => "movements",
        }
    }

    /// Every kind name, for help texts and error messages.
    pub fn names() -> Vec<&'static str> {
        EntityKind::ALL.iter().map(|k| k.plural()).chain(["events", "movements"]).collect()
    }
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub format: ImportFormat,
    /// Write good rows and skip bad ones instead of refusing the whole file.
    pub partial: bool,
    pub batch_rows: usize,
}

impl ImportOptions {
    pub fn new(format: ImportFormat) -> Self {
        Self { format, partial: false, batch_rows: 2000 }
    }
}

/// One bad row.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    /// 1-based line in the file.
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
}

/// Errors listed in a report; the count covers them all.
const MAX_REPORTED_ERRORS: usize = 100;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub kind: &'static str,
    pub format: ImportFormat,
    /// Records read (a record with line items may span several csv rows).
    pub records: u64,
    /// Whether anything was written.
    pub committed: bool,
    pub applied: Applied,
    pub error_count: u64,
    /// The first 100 errors.
    pub errors: Vec<RowError>,
}

impl ImportReport {
    fn note(&mut self, e: RowError) {
        self.error_count += 1;
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(e);
        }
    }
}

/// Progress so far, for a progress bar.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    pub bytes: u64,
    pub records: u64,
}

pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// A record type a file can hold.
trait Importable: DeserializeOwned + Validate + Send + Sync + 'static {
    /// Records with line items span consecutive csv rows of the same id.
    const MULTI_ROW: bool = false;
    /// The id that must be unique within a file (None: not checked).
    fn key(&self) -> Option<&str>;
    fn add_to(items: &[Self], writes: &mut WriteSet);
}

macro_rules! importable_entity {
    ($($t:ty => $multi:expr),*) => {$(
        impl Importable for $t {
            const MULTI_ROW: bool = $multi;
            fn key(&self) -> Option<&str> {
                Some(&self.external_id)
            }
            fn add_to(items: &[Self], writes: &mut WriteSet) {
                writes.upsert(items);
            }
        }
    )*};
}

importable_entity!(Location => false, Category => false, Product => false, Customer => false, Supplier => false,
    KbArticle => false, Order => true, PurchaseOrder => true, GoodsReceipt => true, Contract => false,
    TransferOrder => true, Vehicle => false);

impl Importable for BehaviourEvent {
    fn key(&self) -> Option<&str> {
        None
    }
    fn add_to(items: &[Self], writes: &mut WriteSet) {
        writes.add_events(items);
    }
}

impl Importable for Movement {
    fn key(&self) -> Option<&str> {
        None
    }
    fn add_to(items: &[Self], writes: &mut WriteSet) {
        writes.add_movements(items);
    }
}

/// Imports one file. Fails (rather than reporting) only when the store itself fails.
pub async fn import(
    p: &Platform,
    kind: ImportKind,
    reader: Box<dyn Read + Send>,
    options: ImportOptions,
    progress: ProgressFn,
) -> ServiceResult<ImportReport> {
    match kind {
        ImportKind::Entity(EntityKind::Location) => run::<Location>(p, kind, reader, options, progress).await,
        ImportKind::Entity(EntityKind::Category) => run::<Category>(p, kind, reader, options, progress).await,
        ImportKind::Entity(EntityKind::Product) => run::<Product>(p, kind, reader, options, progress).await,
        ImportKind::Entity(EntityKind::Customer) => run::<Customer>(p, kind, reader, options, progress).await,
        ImportKind::Entity(EntityKind::Supplier) => run::<Supplier>(p, kind, reader, options, progress).await,
        ImportKind::Entity(EntityKind::Order) => run::<Order>(p, kind, reader, options, progress).await,
        ImportKind::Entity(EntityKind::PurchaseOrder) => run::<PurchaseOrder>(p, kind, reader, options, progress).await,
        ImportKind::Entity(EntityKind::GoodsReceipt) => run::<GoodsReceipt>(p, kind, reader, options, progress).await,
        ImportKind::Entity(EntityKind::KbArticle) => run::<KbArticle>(p, kind, reader, options, progress).await,
        ImportKind::Entity(EntityKind::Contract) => run::<Contract>(p, kind, reader, options, progress).await,
        ImportKind::Entity(EntityKind::TransferOrder) => run::<TransferOrder>(p, kind, reader, options, progress).await,
        ImportKind::Entity(EntityKind::Vehicle) => run::<Vehicle>(p, kind, reader, options, progress).await,
        ImportKind::Events => run::<BehaviourEvent>(p, kind, reader, options, progress).await,
        ImportKind::Movements => run::<Movement>(p, kind, reader, options, progress).await,
    }
}

/// A batch of parsed records (with their first line) and the bad rows among them.
struct Batch<T> {
    items: Vec<(u64, T)>,
    errors: Vec<RowError>,
    bytes: u64,
}

async fn run<T: Importable>(
    p: &Platform,
    kind: ImportKind,
    reader: Box<dyn Read + Send>,
    options: ImportOptions,
    progress: ProgressFn,
) -> ServiceResult<ImportReport> {
    let (tx, mut rx) = mpsc::channel::<Batch<T>>(2);
    let batch_rows = options.batch_rows.clamp(1, 10_000);
    let format = options.format;
    let parser = tokio::task::spawn_blocking(move || parse::<T>(reader, format, batch_rows, tx));

    let mut report = ImportReport {
        kind: kind.name(),
        format,
        records: 0,
        committed: false,
        applied: Applied::default(),
        error_count: 0,
        errors: Vec::new(),
    };
    let mut bulk = if options.partial { None } else { Some(p.store.begin_bulk().await?) };
    while let Some(batch) = rx.recv().await {
        report.records += batch.items.len() as u64;
        for e in batch.errors {
            report.note(e);
        }
        // All or nothing: once a row is bad, keep reading only to report.
        if bulk.is_some() && report.error_count > 0 {
            progress(Progress { bytes: batch.bytes, records: report.records });
            continue;
        }
        let (lines, mut items): (Vec<u64>, Vec<T>) = batch.items.into_iter().unzip();
        let mut lines = lines;
        loop {
            let mut writes = WriteSet::default();
            T::add_to(&items, &mut writes);
            let result = match bulk.as_mut() {
                Some(b) => b.apply(writes).await,
                None => p.store.apply(writes).await,
            };
            match result {
                Ok(applied) => {
                    report.applied.add(&applied);
                    break;
                }
                Err(StoreError::UnknownReferences(refs)) => {
                    let mut bad = vec![false; items.len()];
                    for r in &refs {
                        let (index, field) = split_item_field(&r.field);
                        if let Some(i) = index.filter(|i| *i < items.len()) {
                            bad[i] = true;
                            report.note(RowError {
                                line: lines[i],
                                field: Some(field.to_string()),
                                message: format!("unknown {} '{}'", r.kind.noun(), r.external_id),
                            });
                        }
                    }
                    if bulk.is_some() || !bad.contains(&true) {
                        break;
                    }
                    // Partial mode: drop the rows with bad references and write the rest.
                    let mut keep = bad.iter().map(|b| !b);
                    items.retain(|_| keep.next().unwrap_or(false));
                    let mut keep = bad.iter().map(|b| !b);
                    lines.retain(|_| keep.next().unwrap_or(false));
                    if items.is_empty() {
                        break;
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        progress(Progress { bytes: batch.bytes, records: report.records });
    }
    parser.await.map_err(|e| ServiceError::Internal(format!("import reader stopped: {e}")))?;

    let now = chrono::Utc::now().timestamp_millis();
    let summary = serde_json::json!({ "kind": kind.name(), "records": report.records, "errors": report.error_count });
    let mut announce = WriteSet::default();
    announce.announce(new_id("evt"), "import.completed", summary, now);
    match bulk {
        Some(mut b) if report.error_count == 0 => {
            b.apply(announce).await?;
            b.commit().await?;
            report.committed = true;
        }
        Some(_) => {} // dropped: rolled back
        None => {
            p.store.apply(announce).await?;
            report.committed = report.applied != Applied::default();
        }
    }
    p.outbox_written();
    if report.committed
        && let ImportKind::Entity(entity) = kind
    {
        p.assistant.knowledge.changed(entity);
    }
    Ok(report)
}

/// `[3].lines[0].product_id` → (Some(3), "lines[0].product_id").
fn split_item_field(field: &str) -> (Option<usize>, &str) {
    field
        .strip_prefix('[')
        .and_then(|rest| rest.split_once("]."))
        .map(|(i, f)| (i.parse().ok(), f))
        .unwrap_or((None, field))
}

/// Counts the bytes read, for progress.
struct Counting<R> {
    inner: R,
    bytes: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Parses and validates on the blocking thread, sending batches downstream.
fn parse<T: Importable>(
    reader: Box<dyn Read + Send>,
    format: ImportFormat,
    batch_rows: usize,
    tx: mpsc::Sender<Batch<T>>,
) {
    let bytes = Arc::new(AtomicU64::new(0));
    let reader = Counting { inner: reader, bytes: bytes.clone() };
    let mut checker = Checker::<T>::new();
    let mut batch = Batch { items: Vec::new(), errors: Vec::new(), bytes: 0 };
    let mut emit = |record: Option<Result<(u64, T), RowError>>, last: bool| -> bool {
        match record.map(|r| r.and_then(|(line, item)| checker.check(line, item))) {
            Some(Ok(item)) => batch.items.push(item),
            Some(Err(e)) => batch.errors.push(e),
            None => {}
        }
        if last || batch.items.len() + batch.errors.len() >= batch_rows {
            batch.bytes = bytes.load(Ordering::Relaxed);
            let full = std::mem::replace(&mut batch, Batch { items: Vec::new(), errors: Vec::new(), bytes: 0 });
            return tx.blocking_send(full).is_ok();
        }
        true
    };
    match format {
        ImportFormat::Csv => parse_csv::<T>(reader, &mut emit),
        ImportFormat::Jsonl => parse_jsonl::<T>(reader, &mut emit),
    }
}

/// Validation and duplicate-id detection shared by both formats.
struct Checker<T> {
    seen: HashMap<String, u64>,
    _t: std::marker::PhantomData<T>,
}

impl<T: Importable> Checker<T> {
    fn new() -> Self {
        Self { seen: HashMap::new(), _t: std::marker::PhantomData }
    }

    fn check(&mut self, line: u64, item: T) -> Result<(u64, T), RowError> {
        if let Err(v) = item.validate() {
            let first = &v.0[0];
            let more =
                if v.0.len() > 1 { format!(" (and {} more: {})", v.0.len() - 1, v.summary()) } else { String::new() };
            return Err(RowError {
                line,
                field: Some(first.field.clone()),
                message: format!("{}{more}", first.message),
            });
        }
        if let Some(key) = item.key()
            && let Some(first) = self.seen.insert(key.to_string(), line)
        {
            return Err(RowError {
                line,
                field: Some("external_id".into()),
                message: format!("duplicate id '{key}' (first on line {first})"),
            });
        }
        Ok((line, item))
    }
}

/// Hands over one record (or, with `None`, nothing) and whether it was the last.
type Emit<'a, T> = dyn FnMut(Option<Result<(u64, T), RowError>>, bool) -> bool + 'a;

fn parse_csv<T: Importable>(reader: impl Read, emit: &mut Emit<'_, T>) {
    let mut csv = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(reader);
    let headers: Vec<String> = match csv.headers() {
        Ok(h) => h.iter().map(|s| s.trim().trim_start_matches('\u{feff}').to_string()).collect(),
        Err(e) => {
            emit(
                Some(Err(RowError {
                    line: 1,
                    field: None,
                    message: format!("unreadable header row: {}", csv_message(&e)),
                })),
                true,
            );
            return;
        }
    };
    let id_column = headers.iter().position(|h| h == "external_id");
    let mut group: Vec<Node> = Vec::new();
    let mut group_line = 0;
    let mut group_id: Option<String> = None;
    let mut record = csv::StringRecord::new();
    let flush = |group: &mut Vec<Node>, line: u64, emit: &mut Emit<'_, T>, last: bool| -> bool {
        if group.is_empty() {
            return if last { emit(None, true) } else { true };
        }
        let parsed = from_rows::<T>(group).map(|t| (line, t)).map_err(|e| RowError {
            line,
            field: e.field(),
            message: e.message.clone(),
        });
        group.clear();
        emit(Some(parsed), last)
    };
    loop {
        let line = csv.position().line().max(2);
        match csv.read_record(&mut record) {
            Ok(false) => {
                flush(&mut group, group_line, emit, true);
                return;
            }
            Ok(true) => {
                let node = match Node::from_row(headers.iter().map(String::as_str).zip(record.iter())) {
                    Ok(n) => n,
                    Err(e) => {
                        emit(Some(Err(RowError { line, field: e.field(), message: e.message })), false);
                        return;
                    }
                };
                let id = id_column.and_then(|c| record.get(c)).map(str::to_string);
                let continues = T::MULTI_ROW && !group.is_empty() && id.is_some() && id == group_id;
                if !continues {
                    if !flush(&mut group, group_line, emit, false) {
                        return;
                    }
                    group_line = line;
                    group_id = id;
                }
                group.push(node);
            }
            Err(e) => {
                let at = e.position().map(|p| p.line()).unwrap_or(line);
                if !emit(Some(Err(RowError { line: at, field: None, message: csv_message(&e) })), false) {
                    return;
                }
            }
        }
    }
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { err, .. } => format!("invalid UTF-8 in field {}", err.field() + 1),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("row has {len} fields but the header has {expected_len}")
        }
        _ => e.to_string(),
    }
}

fn parse_jsonl<T: Importable>(reader: impl Read, emit: &mut Emit<'_, T>) {
    let mut reader = BufReader::new(reader);
    let mut buf = Vec::new();
    let mut line = 0u64;
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => {
                emit(None, true);
                return;
            }
            Ok(_) => {}
            Err(e) => {
                emit(Some(Err(RowError { line: line + 1, field: None, message: format!("read error: {e}") })), true);
                return;
            }
        }
        line += 1;
        let bytes = if line == 1 { buf.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&buf) } else { &buf[..] };
        let record = match std::str::from_utf8(bytes) {
            Err(e) => {
                Err(RowError { line, field: None, message: format!("invalid UTF-8 at byte {}", e.valid_up_to() + 1) })
            }
            Ok(text) if text.trim().is_empty() => continue,
            Ok(text) => serde_json::from_str::<T>(text.trim()).map(|t| (line, t)).map_err(|e| RowError {
                line,
                field: None,
                message: e.to_string(),
            }),
        };
        if !emit(Some(record), false) {
            return;
        }
    }
}
