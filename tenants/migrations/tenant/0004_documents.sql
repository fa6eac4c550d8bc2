-- Compiled documents: what each workload must enforce, as the compute
-- workers last wrote it, with the generation it answers. The VEN channel
-- serves these; a row changes only when its content (hash) does.
CREATE TABLE workload_documents (
    workload_id uuid PRIMARY KEY,
    generation  bigint NOT NULL,
    hash        text NOT NULL,
    doc         jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
