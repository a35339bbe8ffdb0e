-- Customer-service assistant: conversations with their dialogue state (JSON owned by
-- the service layer) and ownership (bot, waiting for a person, a person, closed), every
-- message with what the assistant understood, the return and exchange requests it
-- decided, and the intent examples users add to retrain the language model.

CREATE TABLE conversations (
    conversation_id TEXT PRIMARY KEY, channel TEXT NOT NULL, customer_id TEXT, language TEXT NOT NULL,
    status TEXT NOT NULL, agent TEXT, handoff_reason TEXT,
    started_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    handed_off_at INTEGER, agent_replied_at INTEGER, closed_at INTEGER,
    turns INTEGER NOT NULL, rating INTEGER, version INTEGER NOT NULL, state TEXT NOT NULL
);
CREATE INDEX conversations_status ON conversations (status, updated_at);
CREATE INDEX conversations_started ON conversations (started_at);

CREATE TABLE conversation_messages (
    conversation_id TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL, sender TEXT NOT NULL,
    body TEXT NOT NULL, intent TEXT, confidence REAL, sentiment REAL,
    -- 1 when the assistant answered from data, 0 when it had nothing to answer with.
    answered INTEGER, response_ms INTEGER, doc TEXT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE INDEX conversation_messages_at ON conversation_messages (at);

CREATE TABLE return_requests (
    request_id TEXT PRIMARY KEY, conversation_id TEXT, order_id TEXT NOT NULL, customer_id TEXT,
    kind TEXT NOT NULL, status TEXT NOT NULL, refund_minor INTEGER NOT NULL,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL, doc TEXT NOT NULL
);
CREATE INDEX return_requests_order ON return_requests (order_id);
CREATE INDEX return_requests_status ON return_requests (status, created_at);

CREATE TABLE intent_examples (
    example_id TEXT PRIMARY KEY, text TEXT NOT NULL, intent TEXT NOT NULL,
    created_at INTEGER NOT NULL, created_by TEXT NOT NULL
);
