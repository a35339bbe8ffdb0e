//! The OpenAPI 3 document, built from the schemas the domain types derive. The
//! nine entity kinds share one set of operations, so their paths come from one
//! generic function rather than nine hand-written copies.

use retail_app::assistant::{
    AgentAction, AssistantReport, ChatMessage, ChatReply, ChatRequest, Conversation, ReturnRequest, Transcript,
    Understanding,
};
use retail_app::experiments::{Change, ExperimentView, NewExperiment, Results, Served};
use retail_app::import::ImportReport;
use retail_app::logistics::costs::{InventoryReport, LandedReport, TransportReport, VarianceReport};
use retail_app::logistics::delivery::{PlanRequest, PlanView};
use retail_app::logistics::problem::DeliveryProblem;
use retail_app::logistics::suppliers::{Scorecards, SupplierTrend};
use retail_app::marketing::delivery::DeliveryReport;
use retail_app::marketing::uplift::UpliftTraining;
use retail_app::marketing::{
    Campaign, CampaignEffect, CampaignSpec, Clusters, LaunchReport, MessagePreview, RfmCount, Segment, SegmentDetail,
    SegmentInput, SegmentPreview,
};
use retail_app::planning::analysis::InventoryAnalysis;
use retail_app::planning::replenish::{Decided, Ordered, SuggestionPage};
use retail_app::planning::whatif::{WhatIf, WhatIfAnswer};
use retail_app::planning::{Backtest, ForecastView, RunSummary};
use retail_app::recommend::{ModelVersion, Recommendations, Scored};
use retail_app::strategies::{StrategyMetrics, StrategyView};
use retail_domain::{
    BehaviourEvent, Category, Contract, Customer, Entity, GoodsReceipt, KbArticle, Location, Movement, Order, Product,
    PurchaseOrder, StockLevel, Supplier, TransferOrder, Vehicle,
};
use retail_store::{Applied, StoredEvent, StoredLedgerRow};
use utoipa::ToSchema;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref, RefOr, Required,
    ResponseBuilder, Schema,
};

use crate::assistant::{ExamplesRequest, RatingRequest, ReturnDecisionRequest};
use crate::error::Problem;
use crate::experiments::AssignRequest;
use crate::marketing::{OptOutRequest, PreviewRequest, TrainRequest};
use crate::planning::{DecisionRequest, OrderRequest, RunRequest};
use crate::recommendations::StrategyEdit;
use crate::routes::StatusChange;

fn schema_ref<T: ToSchema>() -> RefOr<Schema> {
    Ref::from_schema_name(T::name()).into()
}

fn array_of(item: RefOr<Schema>) -> RefOr<Schema> {
    ArrayBuilder::new().items(item).build().into()
}

fn page_of(item: RefOr<Schema>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .property("items", array_of(item))
        .required("items")
        .property(
            "next_cursor",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("Pass as `cursor` for the next page; absent on the last.")),
        )
        .build()
        .into()
}

fn json(schema: RefOr<Schema>) -> utoipa::openapi::Content {
    ContentBuilder::new().schema(Some(schema)).build()
}

fn ok(description: &str, schema: RefOr<Schema>) -> utoipa::openapi::Response {
    ResponseBuilder::new().description(description).content("application/json", json(schema)).build()
}

fn problem(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/problem+json", json(schema_ref::<Problem>()))
        .build()
}

fn body(schema: RefOr<Schema>, content_type: &str) -> utoipa::openapi::request_body::RequestBody {
    RequestBodyBuilder::new().content(content_type, json(schema)).required(Some(Required::True)).build()
}

fn param(name: &str, location: ParameterIn, description: &str, required: bool) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(location)
        .description(Some(description))
        .required(if required { Required::True } else { Required::False })
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

fn op(tag: &str, id: &str, summary: &str) -> OperationBuilder {
    OperationBuilder::new().tag(tag).operation_id(Some(id)).summary(Some(summary))
}

fn idempotency_header() -> utoipa::openapi::path::Parameter {
    param(
        "Idempotency-Key",
        ParameterIn::Header,
        "Retries with the same key and body return the first response.",
        false,
    )
}

fn paging(b: OperationBuilder) -> OperationBuilder {
    b.parameter(param("cursor", ParameterIn::Query, "Cursor from the previous page.", false)).parameter(param(
        "limit",
        ParameterIn::Query,
        "Page size, 1 to 1000 (default 50).",
        false,
    ))
}

/// List, upsert, batch upsert, get, replace and delete for one entity kind.
fn entity_paths<T: Entity + ToSchema>(mut paths: PathsBuilder, filters: &[&str]) -> PathsBuilder {
    let plural = T::KIND.plural();
    let noun = T::KIND.noun();
    let tag = plural;
    let one = schema_ref::<T>();
    let mut list = paging(op(tag, &format!("list_{plural}"), &format!("List {plural}"))).parameter(param(
        "q",
        ParameterIn::Query,
        "Case-insensitive text search (id, names, …).",
        false,
    ));
    for f in filters {
        list = list.parameter(param(f, ParameterIn::Query, &format!("Only {plural} whose {f} equals this."), false));
    }
    let list = list.response("200", ok("A page", page_of(one.clone()))).response("400", problem("Bad query"));
    let create =
        op(tag, &format!("upsert_{noun}").replace(' ', "_"), &format!("Create or replace a {noun} by its external_id"))
            .parameter(idempotency_header())
            .request_body(Some(body(one.clone(), "application/json")))
            .response("201", ok("Created", one.clone()))
            .response("200", ok("Replaced or unchanged", one.clone()))
            .response("400", problem("Malformed JSON"))
            .response("422", problem("Invalid fields or unknown references"));
    paths = paths.path(format!("/api/v1/{plural}"), {
        let mut item = PathItem::new(HttpMethod::Get, list);
        item.post = Some(create.build());
        item
    });
    let batch = op(tag, &format!("batch_{plural}"), &format!("Create or replace many {plural}, all or nothing"))
        .parameter(idempotency_header())
        .request_body(Some(body(array_of(one.clone()), "application/json")))
        .response("200", ok("What changed", schema_ref::<Applied>()))
        .response("413", problem("Too many items or too large"))
        .response("422", problem("Invalid items; nothing was written"));
    paths = paths.path(format!("/api/v1/{plural}/batch"), PathItem::new(HttpMethod::Post, batch));
    let id = || param("id", ParameterIn::Path, &format!("The {noun}'s external id"), true);
    let get = op(tag, &format!("get_{noun}").replace(' ', "_"), &format!("Get one {noun}"))
        .parameter(id())
        .response("200", ok("Found", one.clone()))
        .response("404", problem("Not found"));
    let put = op(tag, &format!("put_{noun}").replace(' ', "_"), &format!("Create or replace one {noun}"))
        .parameter(id())
        .request_body(Some(body(one.clone(), "application/json")))
        .response("200", ok("Replaced", one.clone()))
        .response("201", ok("Created", one))
        .response("422", problem("Invalid, or body id differs from the path"));
    let delete = op(tag, &format!("delete_{noun}").replace(' ', "_"), &format!("Delete one {noun}"))
        .parameter(id())
        .response("204", ResponseBuilder::new().description("Deleted").build())
        .response("404", problem("Not found"))
        .response("409", problem("Still referenced"));
    let mut item = PathItem::new(HttpMethod::Get, get);
    item.put = Some(put.build());
    item.delete = Some(delete.build());
    paths.path(format!("/api/v1/{plural}/{{id}}"), item)
}

pub fn document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    paths = entity_paths::<Location>(paths, &["kind", "city", "active"]);
    paths = entity_paths::<Category>(paths, &["parent_id"]);
    paths = entity_paths::<Product>(paths, &["category_id", "brand", "status", "supplier_id"]);
    paths = entity_paths::<Customer>(paths, &["home_location_id", "city", "tier", "phone", "email"]);
    paths = entity_paths::<Supplier>(paths, &["active"]);
    paths = entity_paths::<Order>(paths, &["customer_id", "location_id", "status", "channel"]);
    paths = entity_paths::<PurchaseOrder>(paths, &["supplier_id", "location_id", "status"]);
    paths = entity_paths::<GoodsReceipt>(paths, &["purchase_order_id", "location_id"]);
    paths = entity_paths::<KbArticle>(paths, &["topic", "published"]);
    paths = entity_paths::<Contract>(paths, &["supplier_id", "product_id", "valid_from"]);
    paths = entity_paths::<TransferOrder>(paths, &["from_location_id", "to_location_id", "status", "deliver_on"]);
    paths = entity_paths::<Vehicle>(paths, &["depot_id", "active"]);

    let status = op("orders", "change_order_status", "Move an order along its lifecycle")
        .parameter(param("id", ParameterIn::Path, "The order's external id", true))
        .request_body(Some(body(schema_ref::<StatusChange>(), "application/json")))
        .response("200", ok("The updated order", schema_ref::<Order>()))
        .response("409", problem("Transition not allowed (e.g. shipped → cancelled)"));
    paths = paths.path("/api/v1/orders/{id}/status", PathItem::new(HttpMethod::Post, status));

    let post_events = op("events", "ingest_events", "Ingest a batch of behaviour events (idempotent on event_id)")
        .parameter(idempotency_header())
        .request_body(Some(body(array_of(schema_ref::<BehaviourEvent>()), "application/json")))
        .response("200", ok("Stored and skipped counts", schema_ref::<Applied>()))
        .response("422", problem("Invalid events; none stored"));
    let mut list_events = paging(op("events", "list_events", "List behaviour events in arrival order"));
    for f in ["customer_id", "session_id", "product_id", "kind", "since", "until"] {
        list_events = list_events.parameter(param(f, ParameterIn::Query, &format!("Filter by {f}"), false));
    }
    let list_events = list_events.response("200", ok("A page", page_of(schema_ref::<StoredEvent>())));
    let mut item = PathItem::new(HttpMethod::Get, list_events);
    item.post = Some(post_events.build());
    paths = paths.path("/api/v1/events", item);

    let post_moves =
        op("inventory", "record_movements", "Record stock movements in the ledger (idempotent on movement_id)")
            .parameter(idempotency_header())
            .request_body(Some(body(array_of(schema_ref::<Movement>()), "application/json")))
            .response("200", ok("Rows written and skipped", schema_ref::<Applied>()))
            .response("422", problem("Invalid movements; none recorded"));
    let mut list_moves = paging(op("inventory", "list_movements", "List ledger rows"));
    for f in ["location_id", "product_id", "kind", "since", "until"] {
        list_moves = list_moves.parameter(param(f, ParameterIn::Query, &format!("Filter by {f}"), false));
    }
    let list_moves = list_moves.response("200", ok("A page", page_of(schema_ref::<StoredLedgerRow>())));
    let mut item = PathItem::new(HttpMethod::Get, list_moves);
    item.post = Some(post_moves.build());
    paths = paths.path("/api/v1/inventory/movements", item);
    let stock = op("inventory", "stock", "Current stock derived from the ledger")
        .parameter(param("location_id", ParameterIn::Query, "Location", false))
        .parameter(param("product_id", ParameterIn::Query, "Product", false))
        .parameter(param("limit", ParameterIn::Query, "At most this many rows (default 50)", false))
        .response("200", ok("Stock levels", page_of(schema_ref::<StockLevel>())));
    paths = paths.path("/api/v1/inventory/stock", PathItem::new(HttpMethod::Get, stock));

    let import = op("import", "import_file", "Import a csv or jsonl file, streamed; all or nothing unless partial=true")
        .parameter(param("kind", ParameterIn::Path, "locations, categories, products, customers, suppliers, orders, purchase_orders, receipts, kb_articles, events or movements", true))
        .parameter(param("format", ParameterIn::Query, "csv or jsonl (or from Content-Type)", false))
        .parameter(param("partial", ParameterIn::Query, "true: write good rows, report bad ones", false))
        .request_body(Some(
            RequestBodyBuilder::new()
                .content("text/csv", ContentBuilder::new().build())
                .content("application/x-ndjson", ContentBuilder::new().build())
                .required(Some(Required::True))
                .build(),
        ))
        .response("200", ok("Imported (with partial=true, the skipped rows are listed)", schema_ref::<ImportReport>()))
        .response("422", ok("Nothing imported; the bad rows, with line and field", schema_ref::<ImportReport>()));
    paths = paths.path("/api/v1/import/{kind}", PathItem::new(HttpMethod::Post, import));

    let recommend = op(
        "recommendations",
        "recommend",
        "Recommend products to a shopper: personalised from their latest events, in stock, each with its reason",
    )
    .parameter(param("customer_id", ParameterIn::Query, "The known customer (or give session_id)", false))
    .parameter(param("session_id", ParameterIn::Query, "The anonymous session", false))
    .parameter(param("context", ParameterIn::Query, "Products being looked at or in the cart, comma separated", false))
    .parameter(param("k", ParameterIn::Query, "How many products, 1 to 100 (default 10)", false))
    .parameter(param(
        "strategy",
        ParameterIn::Query,
        "A named strategy; without it the running experiment, else the default (blend), decides",
        false,
    ))
    .parameter(param("store", ParameterIn::Query, "The shopper's store: its stock and bestsellers", false))
    .parameter(param("category", ParameterIn::Query, "Only products of this category", false))
    .parameter(param(
        "attr.NAME",
        ParameterIn::Query,
        "Unit attributes for experiment targeting, e.g. attr.city",
        false,
    ))
    .response(
        "200",
        ok(
            "The list with request id, strategy, model version and the experiment that chose it; \
             a notice when it is shorter than asked",
            schema_ref::<Recommendations>(),
        ),
    )
    .response("404", problem("Unknown strategy, store or category"))
    .response("422", problem("No customer_id or session_id, or k out of range"));
    paths = paths.path("/api/v1/recommendations", PathItem::new(HttpMethod::Get, recommend));
    let products_of = |description: &str| {
        ObjectBuilder::new().property("items", array_of(schema_ref::<Scored>())).description(Some(description)).into()
    };
    let related = op("recommendations", "related_products", "Products bought or viewed together with this one")
        .parameter(param("id", ParameterIn::Path, "The product's external id", true))
        .parameter(param("k", ParameterIn::Query, "How many products (default 10)", false))
        .response("200", ok("Related products, strongest first", products_of("Related products")))
        .response("404", problem("Unknown product"));
    paths = paths.path("/api/v1/products/{id}/related", PathItem::new(HttpMethod::Get, related));
    let product_bundles = op("recommendations", "product_bundles", "Frequently bought together with this product")
        .parameter(param("id", ParameterIn::Path, "The product's external id", true))
        .parameter(param("k", ParameterIn::Query, "How many products (default 10)", false))
        .response("200", ok("Complements from other categories, by lift", products_of("Bundle items")))
        .response("404", problem("Unknown product"));
    paths = paths.path("/api/v1/products/{id}/bundles", PathItem::new(HttpMethod::Get, product_bundles));
    let cart_bundles = op("recommendations", "cart_bundles", "Frequently bought together with a cart")
        .parameter(param("cart", ParameterIn::Query, "Product ids in the cart, comma separated", true))
        .parameter(param("k", ParameterIn::Query, "How many products (default 10)", false))
        .response("200", ok("Complements of the cart, never a cart item", products_of("Bundle items")))
        .response("404", problem("Unknown product"));
    paths = paths.path("/api/v1/bundles", PathItem::new(HttpMethod::Get, cart_bundles));
    let refit = op("recommendations", "refit", "Retrain the recommenders on the last 90 days of behaviour now")
        .response("200", ok("The new version with its offline quality, now serving", schema_ref::<ModelVersion>()));
    paths = paths.path("/api/v1/recommendations/refit", PathItem::new(HttpMethod::Post, refit));
    let models = op("recommendations", "model_versions", "Trained model versions with their offline quality")
        .parameter(param("limit", ParameterIn::Query, "How many, newest first (default 20)", false))
        .response(
            "200",
            ok("Versions", ObjectBuilder::new().property("items", array_of(schema_ref::<ModelVersion>())).into()),
        );
    paths = paths.path("/api/v1/recommendations/models", PathItem::new(HttpMethod::Get, models));
    let metrics = op(
        "recommendations",
        "strategy_metrics",
        "Live impressions, CTR, conversion and GMV per strategy from the attributed events",
    )
    .parameter(param("days", ParameterIn::Query, "Days ending now, 1 to 366 (default 30)", false))
    .response(
        "200",
        ok("Per strategy", ObjectBuilder::new().property("items", array_of(schema_ref::<StrategyMetrics>())).into()),
    );
    paths = paths.path("/api/v1/recommendations/metrics", PathItem::new(HttpMethod::Get, metrics));
    let list_strategies = op("recommendations", "list_strategies", "Every recommendation strategy").response(
        "200",
        ok("Strategies", ObjectBuilder::new().property("items", array_of(schema_ref::<StrategyView>())).into()),
    );
    paths = paths.path("/api/v1/recommendation-strategies", PathItem::new(HttpMethod::Get, list_strategies));
    let name = || param("name", ParameterIn::Path, "The strategy's name", true);
    let get_strategy = op("recommendations", "get_strategy", "One strategy")
        .parameter(name())
        .response("200", ok("The strategy", schema_ref::<StrategyView>()))
        .response("404", problem("Unknown strategy"));
    let put_strategy = op(
        "recommendations",
        "put_strategy",
        "Create (version 0) or edit (the version read) a strategy: sources and weights, objectives, rules",
    )
    .parameter(name())
    .request_body(Some(body(schema_ref::<StrategyEdit>(), "application/json")))
    .response("200", ok("The strategy as stored", schema_ref::<StrategyView>()))
    .response("409", problem("The name is taken, or the strategy was changed meanwhile"))
    .response("422", problem("Every problem of the configuration, by field"));
    let mut item = PathItem::new(HttpMethod::Get, get_strategy);
    item.put = Some(put_strategy.build());
    paths = paths.path("/api/v1/recommendation-strategies/{name}", item);

    let forecasts = op(
        "planning",
        "forecasts",
        "A run's forecasts with 80 % and 95 % intervals and the sales before, summed bottom-up to a level",
    )
    .parameter(param("run_id", ParameterIn::Query, "A run (default: the latest)", false))
    .parameter(param(
        "level",
        ParameterIn::Query,
        "product_location (default), category_location, location, category, product or total",
        false,
    ))
    .parameter(param("location_id", ParameterIn::Query, "Only this location's series", false))
    .parameter(param("category_id", ParameterIn::Query, "Only this category's series", false))
    .parameter(param("product_id", ParameterIn::Query, "Only this product's series", false))
    .parameter(param(
        "history_days",
        ParameterIn::Query,
        "Days of sales before the forecast, 0 to 365 (default 56)",
        false,
    ))
    .parameter(param("limit", ParameterIn::Query, "Most series, largest first, 1 to 500 (default 20)", false))
    .response("200", ok("The run and its series at the level", schema_ref::<ForecastView>()))
    .response("404", problem("No run yet, or an unknown run"))
    .response("422", problem("Unknown level or a bound out of range"));
    paths = paths.path("/api/v1/forecasts", PathItem::new(HttpMethod::Get, forecasts));
    let list_runs =
        op("planning", "forecast_runs", "The latest forecast runs: models, patterns, accuracy, suggestions")
            .parameter(param("limit", ParameterIn::Query, "How many, newest first (default 20)", false))
            .response(
                "200",
                ok("Runs", ObjectBuilder::new().property("items", array_of(schema_ref::<RunSummary>())).into()),
            );
    let run_now = op(
        "planning",
        "run_forecast",
        "Run the forecast now (what the nightly job does): forecast every location × product, score earlier runs, \
         propose replenishment",
    )
    .request_body(Some(body(schema_ref::<RunRequest>(), "application/json")))
    .response("201", ok("The run", schema_ref::<RunSummary>()))
    .response("409", problem("No sales recorded yet"))
    .response("422", problem("as_of outside the recorded sales"));
    let mut item = PathItem::new(HttpMethod::Get, list_runs);
    item.post = Some(run_now.build());
    paths = paths.path("/api/v1/forecasts/runs", item);
    let backtest = op(
        "planning",
        "forecast_backtest",
        "Rolling-origin backtest on the stored sales: 1 − WAPE and bias per level, as a run would forecast",
    )
    .parameter(param("origins", ParameterIn::Query, "Weekly origins, 1 to 52 (default 4)", false))
    .response("200", ok("Accuracy per level", schema_ref::<Backtest>()));
    paths = paths.path("/api/v1/forecasts/backtest", PathItem::new(HttpMethod::Get, backtest));
    let what_if = op(
        "planning",
        "forecast_what_if",
        "A category's forecast restated for a planned price change, by the elasticity its past discounts teach",
    )
    .request_body(Some(body(schema_ref::<WhatIf>(), "application/json")))
    .response("200", ok("The forecast with and without the change", schema_ref::<WhatIfAnswer>()))
    .response("404", problem("No run yet, an unknown run, or no forecast for the category there"))
    .response("409", problem("Too few discounted days in the last year to learn the response"))
    .response("422", problem("A change or days out of range"));
    paths = paths.path("/api/v1/forecasts/what-if", PathItem::new(HttpMethod::Post, what_if));
    let suggestions = op("planning", "replenishment_suggestions", "Replenishment suggestions with quantities and why")
        .parameter(param(
            "status",
            ParameterIn::Query,
            "Comma-separated: proposed, exception, approved, rejected, ordered, superseded (default: the first three)",
            false,
        ))
        .parameter(param("location_id", ParameterIn::Query, "Only this location", false))
        .parameter(param("run_id", ParameterIn::Query, "Only this run's", false))
        .parameter(param("after", ParameterIn::Query, "Cursor from the previous page", false))
        .parameter(param("limit", ParameterIn::Query, "1 to 1000 (default 100)", false))
        .response("200", ok("A page", schema_ref::<SuggestionPage>()));
    paths = paths.path("/api/v1/replenishment/suggestions", PathItem::new(HttpMethod::Get, suggestions));
    let decide = op("planning", "decide_suggestions", "Approve or reject suggestions waiting for a decision")
        .request_body(Some(body(schema_ref::<DecisionRequest>(), "application/json")))
        .response("200", ok("How many changed; ids that were not waiting", schema_ref::<Decided>()));
    paths = paths.path("/api/v1/replenishment/suggestions/decisions", PathItem::new(HttpMethod::Post, decide));
    let order = op(
        "planning",
        "order_suggestions",
        "Turn approved suggestions into submitted purchase orders, one per location and supplier",
    )
    .request_body(Some(body(schema_ref::<OrderRequest>(), "application/json")))
    .response("201", ok("The purchase orders written", schema_ref::<Ordered>()))
    .response("409", problem("A suggestion is not approved; nothing was ordered"));
    paths = paths.path("/api/v1/replenishment/orders", PathItem::new(HttpMethod::Post, order));
    let analysis = op(
        "planning",
        "inventory_analysis",
        "A location's ABC × XYZ classes, stock value, turnover, stock-out, overstock and expiry risks",
    )
    .parameter(param("location_id", ParameterIn::Query, "The location", true))
    .response("200", ok("The analysis", schema_ref::<InventoryAnalysis>()))
    .response("404", problem("Unknown location"));
    paths = paths.path("/api/v1/inventory/analysis", PathItem::new(HttpMethod::Get, analysis));

    let id = || param("id", ParameterIn::Path, "The conversation's id", true);
    let after = || param("after", ParameterIn::Query, "Only messages after this sequence number (default 0)", false);
    let chat = op(
        "assistant",
        "chat",
        "Send a customer's message and get the assistant's answer (Chinese or English). Omit conversation_id to \
         start a conversation; send the returned id with every later message",
    )
    .request_body(Some(body(schema_ref::<ChatRequest>(), "application/json")))
    .response("200", ok("The answer, what was understood, and whether a person takes over", schema_ref::<ChatReply>()))
    .response("404", problem("Unknown conversation"))
    .response("409", problem("The conversation is closed, or changed meanwhile (send again)"))
    .response("422", problem("Empty or too long message (2,000 characters at most), bad token or language"));
    paths = paths.path("/api/v1/chat", PathItem::new(HttpMethod::Post, chat));
    let transcript = |id_: &str, summary: &str| {
        op("assistant", id_, summary)
            .parameter(id())
            .parameter(after())
            .response("200", ok("The conversation and its messages", schema_ref::<Transcript>()))
            .response("404", problem("Unknown conversation"))
    };
    paths = paths.path(
        "/api/v1/chat/{id}/messages",
        PathItem::new(
            HttpMethod::Get,
            transcript("chat_messages", "A conversation's messages (a person's answers too)"),
        ),
    );
    let stream = |id_: &str| {
        op(
            "assistant",
            id_,
            "Server-sent events: `message` (a ChatMessage) as messages arrive, `status` when ownership changes",
        )
        .parameter(id())
        .parameter(after())
        .response(
            "200",
            ResponseBuilder::new()
                .description("An event stream")
                .content("text/event-stream", json(schema_ref::<ChatMessage>()))
                .build(),
        )
    };
    paths = paths.path("/api/v1/chat/{id}/events", PathItem::new(HttpMethod::Get, stream("chat_events")));
    let rate = op("assistant", "rate_chat", "The customer's satisfaction (1-5); ends the conversation")
        .parameter(id())
        .request_body(Some(body(schema_ref::<RatingRequest>(), "application/json")))
        .response("200", ok("The conversation", schema_ref::<Conversation>()))
        .response("409", problem("Already rated"))
        .response("422", problem("Not 1 to 5"));
    paths = paths.path("/api/v1/chat/{id}/rating", PathItem::new(HttpMethod::Post, rate));
    let queue = op("assistant", "conversations", "Conversations for the agent desk, most recently active first")
        .parameter(param(
            "status",
            ParameterIn::Query,
            "Comma-separated: bot, waiting, agent, closed (default: all)",
            false,
        ))
        .parameter(param("limit", ParameterIn::Query, "1 to 1000 (default 50)", false))
        .response(
            "200",
            ok("Conversations", ObjectBuilder::new().property("items", array_of(schema_ref::<Conversation>())).into()),
        );
    paths = paths.path("/api/v1/assistant/conversations", PathItem::new(HttpMethod::Get, queue));
    paths = paths.path(
        "/api/v1/assistant/conversations/{id}",
        PathItem::new(HttpMethod::Get, transcript("conversation", "A conversation with its transcript")),
    );
    paths = paths.path(
        "/api/v1/assistant/conversations/{id}/events",
        PathItem::new(HttpMethod::Get, stream("conversation_events")),
    );
    let act = op(
        "assistant",
        "agent_action",
        "An agent claims a conversation, replies, hands it back to the assistant or closes it",
    )
    .parameter(id())
    .request_body(Some(body(schema_ref::<AgentAction>(), "application/json")))
    .response("200", ok("The conversation after the action", schema_ref::<Conversation>()))
    .response("409", problem("Not allowed now (e.g. replying before claiming, or another agent owns it)"));
    paths = paths.path("/api/v1/assistant/conversations/{id}/actions", PathItem::new(HttpMethod::Post, act));
    let returns =
        op("assistant", "return_requests", "Return and exchange requests the assistant decided, newest first")
            .parameter(param("status", ParameterIn::Query, "approved, pending_approval, refused or rejected", false))
            .parameter(param("limit", ParameterIn::Query, "1 to 1000 (default 50)", false))
            .response(
                "200",
                ok("Requests", ObjectBuilder::new().property("items", array_of(schema_ref::<ReturnRequest>())).into()),
            );
    paths = paths.path("/api/v1/assistant/returns", PathItem::new(HttpMethod::Get, returns));
    let decide_return = op("assistant", "decide_return", "Approve or reject a request the policy sent to a person")
        .parameter(param("id", ParameterIn::Path, "The request's id", true))
        .request_body(Some(body(schema_ref::<ReturnDecisionRequest>(), "application/json")))
        .response("204", ResponseBuilder::new().description("Decided").build())
        .response("409", problem("Not waiting for approval"));
    paths = paths.path("/api/v1/assistant/returns/{id}/decision", PathItem::new(HttpMethod::Post, decide_return));
    let report = op(
        "assistant",
        "assistant_report",
        "Conversations per day, automation and handoff rates, response times, intents, sentiment, satisfaction and \
         the questions the assistant could not answer",
    )
    .parameter(param("from", ParameterIn::Query, "Date or RFC 3339 time (default: 30 days ago)", false))
    .parameter(param("to", ParameterIn::Query, "Date or RFC 3339 time (default: now)", false))
    .response("200", ok("The figures", schema_ref::<AssistantReport>()));
    paths = paths.path("/api/v1/assistant/report", PathItem::new(HttpMethod::Get, report));
    let understand =
        op("assistant", "understand", "What the assistant understands of a message (intent, sentiment, entities)")
            .parameter(param("text", ParameterIn::Query, "The message", true))
            .response("200", ok("The understanding", schema_ref::<Understanding>()));
    paths = paths.path("/api/v1/assistant/understand", PathItem::new(HttpMethod::Get, understand));
    let examples =
        op("assistant", "add_examples", "Teach the intent model with labelled questions; it retrains at once")
            .request_body(Some(body(schema_ref::<ExamplesRequest>(), "application/json")))
            .response(
                "201",
                ok(
                    "How many were added",
                    ObjectBuilder::new().property("added", ObjectBuilder::new().schema_type(Type::Integer)).into(),
                ),
            )
            .response("422", problem("Empty text or an unknown intent"));
    paths = paths.path("/api/v1/assistant/examples", PathItem::new(HttpMethod::Post, examples));

    paths = marketing_paths(paths);
    paths = supply_paths(paths);

    let key = || param("key", ParameterIn::Path, "The experiment's key", true);
    let list_experiments = op("experiments", "list_experiments", "Every experiment, newest first").response(
        "200",
        ok("Experiments", ObjectBuilder::new().property("items", array_of(schema_ref::<ExperimentView>())).into()),
    );
    let create_experiment = op("experiments", "create_experiment", "Create a draft experiment")
        .request_body(Some(body(schema_ref::<NewExperiment>(), "application/json")))
        .response("201", ok("The draft", schema_ref::<ExperimentView>()))
        .response("409", problem("The key is taken"))
        .response(
            "422",
            problem("Every problem of the definition, by field (e.g. a zero weight, weights not summing to 1)"),
        );
    let mut item = PathItem::new(HttpMethod::Get, list_experiments);
    item.post = Some(create_experiment.build());
    paths = paths.path("/api/v1/experiments", item);
    let get_experiment = op("experiments", "get_experiment", "One experiment")
        .parameter(key())
        .response("200", ok("The experiment", schema_ref::<ExperimentView>()))
        .response("404", problem("Unknown experiment"));
    paths = paths.path("/api/v1/experiments/{key}", PathItem::new(HttpMethod::Get, get_experiment));
    let change = op("experiments", "change_experiment", "Start, stop, ship a variant, or change the traffic share")
        .parameter(key())
        .request_body(Some(body(schema_ref::<Change>(), "application/json")))
        .response("200", ok("The experiment after the change", schema_ref::<ExperimentView>()))
        .response("409", problem("Not allowed in the current state (e.g. restarting a stopped experiment)"));
    paths = paths.path("/api/v1/experiments/{key}/changes", PathItem::new(HttpMethod::Post, change));
    let results =
        op("experiments", "experiment_results", "Traffic, SRM check, every metric's lift and interval, the verdict")
            .parameter(key())
            .response("200", ok("The analysis", schema_ref::<Results>()));
    paths = paths.path("/api/v1/experiments/{key}/results", PathItem::new(HttpMethod::Get, results));
    let assign =
        op("experiments", "assign", "Which variant a unit gets (logging the exposure when it is in the experiment)")
            .parameter(key())
            .request_body(Some(body(schema_ref::<AssignRequest>(), "application/json")))
            .response(
                "200",
                ok("The variant, and why the unit is outside the experiment if it is", schema_ref::<Served>()),
            );
    paths = paths.path("/api/v1/experiments/{key}/assign", PathItem::new(HttpMethod::Post, assign));

    let components = ComponentsBuilder::new()
        .schema_with_nested::<Location>()
        .schema_with_nested::<Category>()
        .schema_with_nested::<Product>()
        .schema_with_nested::<Customer>()
        .schema_with_nested::<Supplier>()
        .schema_with_nested::<Order>()
        .schema_with_nested::<PurchaseOrder>()
        .schema_with_nested::<GoodsReceipt>()
        .schema_with_nested::<KbArticle>()
        .schema_with_nested::<Contract>()
        .schema_with_nested::<TransferOrder>()
        .schema_with_nested::<Vehicle>()
        .schema_with_nested::<BehaviourEvent>()
        .schema_with_nested::<Movement>()
        .schema_with_nested::<StockLevel>()
        .schema_with_nested::<StoredEvent>()
        .schema_with_nested::<StoredLedgerRow>()
        .schema_with_nested::<Applied>()
        .schema_with_nested::<ImportReport>()
        .schema_with_nested::<StatusChange>()
        .schema_with_nested::<Problem>()
        .schema_with_nested::<Recommendations>()
        .schema_with_nested::<Scored>()
        .schema_with_nested::<ModelVersion>()
        .schema_with_nested::<StrategyMetrics>()
        .schema_with_nested::<StrategyView>()
        .schema_with_nested::<StrategyEdit>()
        .schema_with_nested::<ExperimentView>()
        .schema_with_nested::<NewExperiment>()
        .schema_with_nested::<Change>()
        .schema_with_nested::<Results>()
        .schema_with_nested::<Served>()
        .schema_with_nested::<AssignRequest>()
        .schema_with_nested::<ForecastView>()
        .schema_with_nested::<RunSummary>()
        .schema_with_nested::<RunRequest>()
        .schema_with_nested::<Backtest>()
        .schema_with_nested::<WhatIf>()
        .schema_with_nested::<WhatIfAnswer>()
        .schema_with_nested::<SuggestionPage>()
        .schema_with_nested::<DecisionRequest>()
        .schema_with_nested::<Decided>()
        .schema_with_nested::<Ordered>()
        .schema_with_nested::<OrderRequest>()
        .schema_with_nested::<InventoryAnalysis>()
        .schema_with_nested::<ChatRequest>()
        .schema_with_nested::<ChatReply>()
        .schema_with_nested::<ChatMessage>()
        .schema_with_nested::<Transcript>()
        .schema_with_nested::<RatingRequest>()
        .schema_with_nested::<Conversation>()
        .schema_with_nested::<AgentAction>()
        .schema_with_nested::<ReturnRequest>()
        .schema_with_nested::<ReturnDecisionRequest>()
        .schema_with_nested::<AssistantReport>()
        .schema_with_nested::<Understanding>()
        .schema_with_nested::<ExamplesRequest>()
        .schema_with_nested::<SegmentInput>()
        .schema_with_nested::<Segment>()
        .schema_with_nested::<SegmentDetail>()
        .schema_with_nested::<SegmentPreview>()
        .schema_with_nested::<PreviewRequest>()
        .schema_with_nested::<RfmCount>()
        .schema_with_nested::<Clusters>()
        .schema_with_nested::<CampaignSpec>()
        .schema_with_nested::<Campaign>()
        .schema_with_nested::<MessagePreview>()
        .schema_with_nested::<LaunchReport>()
        .schema_with_nested::<CampaignEffect>()
        .schema_with_nested::<DeliveryReport>()
        .schema_with_nested::<TrainRequest>()
        .schema_with_nested::<UpliftTraining>()
        .schema_with_nested::<OptOutRequest>()
        .schema_with_nested::<retail_marketing::rules::Field>()
        .schema_with_nested::<retail_marketing::rules::Op>()
        .schema_with_nested::<PlanRequest>()
        .schema_with_nested::<PlanView>()
        .schema_with_nested::<DeliveryProblem>()
        .schema_with_nested::<Scorecards>()
        .schema_with_nested::<SupplierTrend>()
        .schema_with_nested::<TransportReport>()
        .schema_with_nested::<InventoryReport>()
        .schema_with_nested::<LandedReport>()
        .schema_with_nested::<VarianceReport>()
        .security_scheme(
            "apiKey",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key (`rk_…`) from `retail key create` or the console's API keys page. Scopes: \
                         public (storefront calls such as sending events), read, write, admin.",
                    ))
                    .build(),
            ),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Retail platform API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Stores, catalogue, customers, orders, behaviour events, the inventory ledger, suppliers and purchasing. \
                     Money is integer minor units with a currency; times are UTC RFC 3339. Errors are application/problem+json \
                     with a stable `code` and the request's id. Every call needs an API key with a scope that allows it \
                     (401 without one, 403 when its scope does not allow the call); storefront calls are rate-limited.",
                )),
        )
        .paths(paths.build())
        .components(Some(components))
        .security(Some([SecurityRequirement::new("apiKey", Vec::<String>::new())]))
        .build()
}

/// Segments, campaigns, deliveries, uplift models and opt-outs.
/// Registers a schema with every schema it refers to, so no `$ref` in the document dangles.
trait WithNested {
    fn schema_with_nested<T: ToSchema>(self) -> Self;
}

impl WithNested for ComponentsBuilder {
    fn schema_with_nested<T: ToSchema>(self) -> Self {
        let mut nested = Vec::new();
        T::schemas(&mut nested);
        self.schema_from::<T>().schemas_from_iter(nested)
    }
}

fn supply_paths(mut paths: PathsBuilder) -> PathsBuilder {
    let plan_id = || param("id", ParameterIn::Path, "The plan's id", true);
    let days = |default: &str| param("days", ParameterIn::Query, &format!("Window in days (default {default})"), false);
    let planned = |o: OperationBuilder| {
        o.response("201", ok("Solved while waiting (at most 150 stops)", schema_ref::<PlanView>()))
            .response("202", ok("Queued for the background solver; read it again later", schema_ref::<PlanView>()))
    };
    let plan_day = planned(
        op("supply", "plan_day", "Plan a depot's deliveries for a day from the stored orders")
            .request_body(Some(body(schema_ref::<PlanRequest>(), "application/json"))),
    )
    .response("404", problem("Unknown depot"))
    .response("422", problem("Nothing to deliver that day, or no vehicles at the depot"));
    let list = op("supply", "list_plans", "Delivery plans, newest first, without their routes")
        .parameter(param("scope", ParameterIn::Query, "store, home or api", false))
        .parameter(param("depot_id", ParameterIn::Query, "The depot", false))
        .parameter(param("date", ParameterIn::Query, "The delivery day, YYYY-MM-DD", false))
        .parameter(param(
            "status",
            ParameterIn::Query,
            "Comma-separated: queued, solving, ready, failed, superseded",
            false,
        ))
        .response(
            "200",
            ok("Plans", ObjectBuilder::new().property("items", array_of(schema_ref::<PlanView>())).into()),
        );
    let mut item = PathItem::new(HttpMethod::Get, list);
    item.post = Some(plan_day.build());
    paths = paths.path("/api/v1/delivery/plans", item);
    let get = op(
        "supply",
        "get_plan",
        "A plan with its routes, ETAs, loads, costs and left-out stops; stale when its orders changed",
    )
    .parameter(plan_id())
    .response("200", ok("The plan", schema_ref::<PlanView>()))
    .response("404", problem("Unknown plan"));
    paths = paths.path("/api/v1/delivery/plans/{id}", PathItem::new(HttpMethod::Get, get));
    let replan = planned(
        op("supply", "replan", "Plan the same depot and day again from the orders as they are now")
            .parameter(plan_id()),
    )
    .response("422", problem("An api plan: submit its problem again"));
    paths = paths.path("/api/v1/delivery/plans/{id}/replan", PathItem::new(HttpMethod::Post, replan));
    let manifest = op("supply", "plan_manifest", "Every vehicle's manifest as CSV, one row per stop in driving order")
        .parameter(plan_id())
        .response(
            "200",
            ResponseBuilder::new().description("CSV").content("text/csv", ContentBuilder::new().build()).build(),
        )
        .response("409", problem("The plan is not ready"));
    paths = paths.path("/api/v1/delivery/plans/{id}/manifest", PathItem::new(HttpMethod::Get, manifest));
    let submit = planned(
        op("supply", "submit_problem", "Solve a whole planning problem: depots, vehicles, stops, optionally a road matrix")
            .request_body(Some(body(schema_ref::<DeliveryProblem>(), "application/json"))),
    )
    .response("413", problem("Over the body limit"))
    .response("422", problem("Every field that is wrong: no vehicles, duplicate ids, coordinates out of range, NaN or negative matrix entries"));
    paths = paths.path("/api/v1/routing/problems", PathItem::new(HttpMethod::Post, submit));
    let cards = op("supply", "scorecards", "Every supplier's scorecard, best first")
        .parameter(param("weeks", ParameterIn::Query, "1 to 104 (default 13)", false))
        .response("200", ok("Scorecards", schema_ref::<Scorecards>()));
    paths = paths.path("/api/v1/supply/scorecards", PathItem::new(HttpMethod::Get, cards));
    let trend = op("supply", "supplier_trend", "One supplier's scorecard week by week")
        .parameter(param("id", ParameterIn::Path, "The supplier", true))
        .parameter(param("weeks", ParameterIn::Query, "1 to 104 (default 13)", false))
        .response("200", ok("The trend", schema_ref::<SupplierTrend>()))
        .response("404", problem("Unknown supplier"));
    paths = paths.path("/api/v1/supply/scorecards/{id}", PathItem::new(HttpMethod::Get, trend));
    let transport = op("supply", "transport_costs", "Transport cost of the ready plans by day and destination")
        .parameter(days("30"))
        .response("200", ok("Transport cost", schema_ref::<TransportReport>()));
    paths = paths.path("/api/v1/supply/costs/transport", PathItem::new(HttpMethod::Get, transport));
    let inventory =
        op("supply", "inventory_costs", "Holding, ordering and stock-out cost of every product at a location")
            .parameter(param("location_id", ParameterIn::Query, "The location", true))
            .parameter(days("90"))
            .response("200", ok("Inventory cost", schema_ref::<InventoryReport>()))
            .response("404", problem("Unknown location"));
    paths = paths.path("/api/v1/supply/costs/inventory", PathItem::new(HttpMethod::Get, inventory));
    let landed =
        op("supply", "landed_costs", "Landed cost per product from receipts with freight, duty and other charges")
            .parameter(days("90"))
            .response("200", ok("Landed cost", schema_ref::<LandedReport>()));
    paths = paths.path("/api/v1/supply/costs/landed", PathItem::new(HttpMethod::Get, landed));
    let variance = op("supply", "price_variance", "What each order line paid against the contract in force")
        .parameter(days("90"))
        .response("200", ok("Price variance", schema_ref::<VarianceReport>()));
    paths.path("/api/v1/supply/costs/price-variance", PathItem::new(HttpMethod::Get, variance))
}

fn marketing_paths(mut paths: PathsBuilder) -> PathsBuilder {
    let segment_id = || param("id", ParameterIn::Path, "The segment's id", true);
    let campaign_id = || param("id", ParameterIn::Path, "The campaign's id", true);
    let list = op("marketing", "list_segments", "Every segment with its size and value").response(
        "200",
        ok("Segments", ObjectBuilder::new().property("items", array_of(schema_ref::<Segment>())).into()),
    );
    paths = paths.path("/api/v1/marketing/segments", PathItem::new(HttpMethod::Get, list));
    let preview = op("marketing", "preview_segment", "How many customers a rule selects now, by RFM segment")
        .request_body(Some(body(schema_ref::<PreviewRequest>(), "application/json")))
        .response("200", ok("The selection", schema_ref::<SegmentPreview>()))
        .response("422", problem("An invalid rule (empty group, NaN value, too deep or too many conditions)"));
    paths = paths.path("/api/v1/marketing/segments/preview", PathItem::new(HttpMethod::Post, preview));
    let get = op("marketing", "get_segment", "A segment with its size history and make-up")
        .parameter(segment_id())
        .response("200", ok("The segment", schema_ref::<SegmentDetail>()))
        .response("404", problem("Unknown segment"));
    let put = op("marketing", "put_segment", "Create or change a segment; it is refreshed at once")
        .parameter(segment_id())
        .request_body(Some(body(schema_ref::<SegmentInput>(), "application/json")))
        .response("200", ok("The segment", schema_ref::<Segment>()))
        .response("422", problem("Bad id, name, rule or refresh interval"));
    let delete = op("marketing", "delete_segment", "Delete a segment no open campaign uses")
        .parameter(segment_id())
        .response("204", ResponseBuilder::new().description("Deleted").build())
        .response("409", problem("An open campaign uses it"));
    let mut item = PathItem::new(HttpMethod::Get, get);
    item.put = Some(put.build());
    item.delete = Some(delete.build());
    paths = paths.path("/api/v1/marketing/segments/{id}", item);
    let refresh = op("marketing", "refresh_segment", "Recompute a segment's members now")
        .parameter(segment_id())
        .response("200", ok("The segment", schema_ref::<Segment>()));
    paths = paths.path("/api/v1/marketing/segments/{id}/refresh", PathItem::new(HttpMethod::Post, refresh));
    let rfm = op("marketing", "rfm", "Every customer by RFM segment, with their spend")
        .response("200", ok("Counts", array_of(schema_ref::<RfmCount>())));
    paths = paths.path("/api/v1/marketing/rfm", PathItem::new(HttpMethod::Get, rfm));
    let clusters = op("marketing", "clusters", "Behaviour clusters (k-means) of the customers who ordered this year")
        .parameter(param("k", ParameterIn::Query, "2 to 12; chosen by silhouette when absent", false))
        .response("200", ok("Cluster profiles", schema_ref::<Clusters>()));
    paths = paths.path("/api/v1/marketing/clusters", PathItem::new(HttpMethod::Get, clusters));
    let campaigns = op("marketing", "list_campaigns", "Every campaign, latest start first").response(
        "200",
        ok("Campaigns", ObjectBuilder::new().property("items", array_of(schema_ref::<Campaign>())).into()),
    );
    paths = paths.path("/api/v1/marketing/campaigns", PathItem::new(HttpMethod::Get, campaigns));
    let get = op("marketing", "get_campaign", "A campaign, its plan and its messages by status")
        .parameter(campaign_id())
        .response("200", ok("The campaign", schema_ref::<Campaign>()))
        .response("404", problem("Unknown campaign"));
    let put = op("marketing", "put_campaign", "Create a draft or change one not launched (its plan is dropped)")
        .parameter(campaign_id())
        .request_body(Some(body(schema_ref::<CampaignSpec>(), "application/json")))
        .response("200", ok("The draft", schema_ref::<Campaign>()))
        .response("409", problem("Launched or cancelled campaigns do not change"))
        .response("422", problem("Unknown template variables, channels, products; bad budget or hold-out share"));
    let mut item = PathItem::new(HttpMethod::Get, get);
    item.put = Some(put.build());
    paths = paths.path("/api/v1/marketing/campaigns/{id}", item);
    let plan = op(
        "marketing",
        "plan_campaign",
        "Plan: eligibility by consent and opt-out, frequency cap and priority, targeting under the budget, hold-out",
    )
    .parameter(campaign_id())
    .response("200", ok("The campaign with its plan summary", schema_ref::<Campaign>()))
    .response("409", problem("Empty segment, no uplift model for uplift targeting, or not a draft"));
    paths = paths.path("/api/v1/marketing/campaigns/{id}/plan", PathItem::new(HttpMethod::Post, plan));
    let preview = op("marketing", "preview_campaign", "The planned personalised messages")
        .parameter(campaign_id())
        .parameter(param("limit", ParameterIn::Query, "At most this many (default 20, at most 500)", false))
        .response("200", ok("Messages", array_of(schema_ref::<MessagePreview>())));
    paths = paths.path("/api/v1/marketing/campaigns/{id}/preview", PathItem::new(HttpMethod::Get, preview));
    let launch = op("marketing", "launch_campaign", "Queue the planned messages for delivery at their send times")
        .parameter(campaign_id())
        .response("200", ok("How many were queued", schema_ref::<LaunchReport>()))
        .response("409", problem("Not planned"));
    paths = paths.path("/api/v1/marketing/campaigns/{id}/launch", PathItem::new(HttpMethod::Post, launch));
    let cancel = op("marketing", "cancel_campaign", "Cancel a campaign that was not launched")
        .parameter(campaign_id())
        .response("200", ok("The campaign", schema_ref::<Campaign>()));
    paths = paths.path("/api/v1/marketing/campaigns/{id}/cancel", PathItem::new(HttpMethod::Post, cancel));
    let effect = op(
        "marketing",
        "campaign_effect",
        "Reach, conversion and revenue per arm; incremental conversions and revenue against the hold-out with 95 % \
         intervals; ROI; the Qini curve under uplift targeting",
    )
    .parameter(campaign_id())
    .response("200", ok("The effect", schema_ref::<CampaignEffect>()))
    .response("409", problem("Not launched, or an arm is empty"));
    paths = paths.path("/api/v1/marketing/campaigns/{id}/effect", PathItem::new(HttpMethod::Get, effect));
    let deliver = op("marketing", "deliver", "Send the messages due now through the channel adapters")
        .response("200", ok("What was sent, retried, failed or suppressed", schema_ref::<DeliveryReport>()));
    paths = paths.path("/api/v1/marketing/deliveries", PathItem::new(HttpMethod::Post, deliver));
    let latest = op("marketing", "uplift_model", "The latest uplift model's figures")
        .response("200", ok("The model, or null", schema_ref::<UpliftTraining>()));
    let train = op("marketing", "train_uplift", "Train an uplift model on the measured campaigns with a hold-out")
        .request_body(Some(body(schema_ref::<TrainRequest>(), "application/json")))
        .response("201", ok("The model's figures on held-back customers", schema_ref::<UpliftTraining>()))
        .response("409", problem("No campaign to learn from yet"));
    let mut item = PathItem::new(HttpMethod::Get, latest);
    item.post = Some(train.build());
    paths = paths.path("/api/v1/marketing/uplift", item);
    let opt_out = op("marketing", "opt_out", "Record a customer's opt-out from a channel or from everything")
        .request_body(Some(body(schema_ref::<OptOutRequest>(), "application/json")))
        .response("204", ResponseBuilder::new().description("Recorded").build())
        .response("404", problem("Unknown customer"))
        .response("422", problem("Unknown channel"));
    paths.path("/api/v1/marketing/opt-outs", PathItem::new(HttpMethod::Post, opt_out))
}
