import assert from "node:assert/strict";
import { test } from "node:test";
import { highlight, parseSearch, toTsQuery } from "../../src/lib/messages/search-terms";

const query = (typed: string) => toTsQuery(parseSearch(typed));

test("words match as prefixes, quotes make a phrase, a minus leaves out", () => {
  assert.equal(query("kaf"), "'kaf':*");
  assert.equal(query("Kafka  redis"), "'kafka':* & 'redis':*");
  assert.equal(query('"consumer group" -lag'), "('consumer' <-> 'group') & !'lag':*");
  assert.equal(query('-"not this" that'), "!('not' <-> 'this') & 'that':*");
  // An unfinished quote is a phrase so far.
  assert.equal(query('"exactly once'), "('exactly' <-> 'once')");
  assert.equal(query("naïve Straße 東京"), "'naïve':* & 'straße':* & '東京':*");
});

test("nothing typed can change the query's shape; only exclusions or no words is nothing to search for", () => {
  assert.equal(query("a'b"), "('a' <-> 'b')");
  assert.equal(query("x:* | !y & (z) <-> '"), "'x':* & 'y':* & 'z':*");
  assert.equal(query("-only -excluded"), undefined);
  assert.equal(query("!!! ... '' \"\""), undefined);
  assert.equal(query(""), undefined);
  assert.equal(parseSearch(Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ")).length, 12);
});

test("highlights are pieces of the text as written, marked where the search matched", () => {
  const terms = parseSearch('kaf "consumer group" -lag');
  assert.deepEqual(highlight("Kafka's consumer group has lag", terms), [
    { text: "Kafka", match: true },
    { text: "'s ", match: false },
    { text: "consumer", match: true },
    { text: " ", match: false },
    { text: "group", match: true },
    { text: " has lag", match: false },
  ]);
  assert.deepEqual(highlight("<b>kafka</b>", parseSearch("kafka")), [
    { text: "<b>", match: false },
    { text: "kafka", match: true },
    { text: "</b>", match: false },
  ]);
  assert.deepEqual(highlight("nothing here", terms), [{ text: "nothing here", match: false }]);
});
