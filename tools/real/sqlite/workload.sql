-- The `sqlite` real workload of hakmem (docs/real-workloads.md): an in-memory database built
-- and worked over by one script, so that SQLite's pages, rows, records and strings come from
-- malloc (which LD_PRELOAD replaces).
--
--   sqlite3 -bail :memory: -cmd '.parameter set @rows N' < workload.sql
--
-- @rows items are inserted with text of pseudo-random lengths (0 to 239 characters cut from
-- one sentence); then an index, a join with GROUP BY over half the rows, a GROUP BY over text
-- over the other half, updates that grow a tenth of the bodies and change a tenth of the
-- prices through the index, a delete of a tenth of the rows through the index, and sums over
-- what is left. Every value comes from a multiplicative hash of the row number (SQLite's
-- random() cannot be seeded), so the output depends on @rows only; tools/real/sqlite/run
-- compares it with expected/rows-<rows>.txt.
.parameter set @alpha 'the quick brown fox jumps over the lazy dog while five boxing wizards jump quickly and a sphinx of black quartz judges my vow; pack my box with five dozen liquor jugs, how vexingly quick daft zebras jump, the five boxing wizards jump quickly again and again until the night is over and the sun comes up'
CREATE TABLE grp(id INTEGER PRIMARY KEY, name TEXT NOT NULL, region INTEGER NOT NULL);
CREATE TABLE item(id INTEGER PRIMARY KEY, grp INTEGER NOT NULL, tag TEXT NOT NULL, body TEXT NOT NULL, price INTEGER NOT NULL);
INSERT INTO grp
  SELECT value, 'group-' || value || '-' || substr(@alpha, 1 + value % 50, value % 37), (value * 2654435761) % 4294967296 % 50
  FROM generate_series(1, 5000);
INSERT INTO item
  SELECT value, 1 + x % 5000, 't' || ((x >> 4) % 20000), substr(@alpha, 1 + (x >> 12) % 64, (x >> 20) % 240), (x >> 8) % 100000
  FROM (SELECT value, (value * 2654435761) % 4294967296 AS x FROM generate_series(1, @rows));
CREATE INDEX item_grp ON item(grp);
SELECT 'region', g.region, count(*), sum(i.price), sum(length(i.body))
  FROM item i JOIN grp g ON g.id = i.grp WHERE i.id > @rows / 2 GROUP BY g.region ORDER BY g.region;
SELECT 'tags', tag, count(*), max(price), sum(length(body)) FROM item WHERE id <= @rows / 2
  GROUP BY tag ORDER BY count(*) DESC, tag LIMIT 10;
UPDATE item SET body = body || '/' || tag || '/' || body WHERE id % 10 = 0;
UPDATE item SET price = price * 2 + 1 WHERE grp < 500;
DELETE FROM item WHERE grp BETWEEN 4001 AND 4500;
SELECT 'end', count(*), sum(length(body)), sum(price), sum((id * 31 + length(body)) % 1000003) FROM item;
