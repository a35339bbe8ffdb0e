-- Customer-service assistant: conversations with their dialogue state (JSON owned by
-- the service layer) and ownership (bot, waiting for a person, a person, closed), every
-- message with what the assistant understood, the return and exchange requests it
-- decided, and the intent examples users add to retrain the language model.

CREATE TABLE conversations (
    conversation_id TEXT PRIMARY KEY, channel TEXT NOT NULL, customer_id TEXT, language TEXT NOT NULL,
    status TEXT NOT NULL, agent TEXT, handoff_reason TEXT,
    started_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
    handed_off_at BIGINT, agent_replied_at BIGINT, closed_at BIGINT,
    turns BIGINT NOT NULL, rating BIGINT, version BIGINT NOT NULL, state TEXT NOT NULL
);
CREATE INDEX conversations_status ON conversations (status, updated_at);
CREATE INDEX conversations_started ON conversations (started_at);

CREATE TABLE conversation_messages (
    conversation_id TEXT NOT NULL, seq BIGINT NOT NULL, at BIGINT NOT NULL, sender TEXT NOT NULL,
    body TEXT NOT NULL, intent TEXT, confidence DOUBLE PRECISION, sentiment DOUBLE PRECISION,
    -- 1 when the assistant answered from data, 0 when it had nothing to answer with.
    answered BIGINT, response_ms BIGINT, doc TEXT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE INDEX conversation_messages_at ON conversation_messages (at);

CREATE TABLE return_requests (
    request_id TEXT PRIMARY KEY, conversation_id TEXT, order_id TEXT NOT NULL, customer_id TEXT,
    kind TEXT NOT NULL, status TEXT NOT NULL, refund_minor BIGINT NOT NULL,
    created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, updated_by TEXT NOT NULL, doc TEXT NOT NULL
);
CREATE INDEX return_requests_order ON return_requests (order_id);
CREATE INDEX return_requests_status ON return_requests (status, created_at);

CREATE TABLE intent_examples (
    example_id TEXT PRIMARY KEY, text TEXT NOT NULL, intent TEXT NOT NULL,
    created_at BIGINT NOT NULL, created_by TEXT NOT NULL
);
