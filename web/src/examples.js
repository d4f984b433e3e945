// Example queries that open as tabs the first time someone visits the playground. Each
// walks through part of the Kaspersky / BOD 17-01 story in the seed data. The first three
// are the README's "Example queries", word for word. A tab is titled by the comment its
// query opens with (src/tabtitle.js), so every query opens with its title.
//
// build.mjs validates every query against ../schema.graphqls, checks that each title is
// the one its comment gives, and that each of the README's example queries is a tab here:
// a renamed field or an edited README breaks the build instead of the demo.

/** @type {{ title: string, query: string }[]} */
export const examples = [
  {
    title: 'Why is Best Buy exposed, and how is it connected to Russia?',
    query: `# Why is Best Buy exposed, and how is it connected to Russia?
{
  paths(fromId: "retailer:best-buy", toId: "government:russian-federation", maxHops: 4, asOf: "2017-09-01") {
    length
    entities { id name }
    relationships { type inferred confidence sources { source { name } excerpt } }
  }
}
`,
  },
  {
    title: 'What did BOD 17-01 require, and was it overdue on 2017-12-20?',
    query: `# What did BOD 17-01 require, and was it overdue on 2017-12-20?
{
  entity(id: "directive:bod-17-01", asOf: "2017-12-20") {
    name
    obligations { title due status daysUntilDue }
  }
}
`,
  },
  {
    title: 'Everything headquartered in the Russian Federation, by name',
    query: `# Everything headquartered in the Russian Federation, by name
{
  entities(orderBy: NAME, filter: {related: {type: HEADQUARTERED_IN, direction: OUT, entityId: "government:russian-federation"}}) {
    edges { node { id name } }
    pageInfo { hasNextPage endCursor }
  }
}
`,
  },
  {
    title: 'The chains that carry risk to Best Buy',
    query: `# The chains that carry risk to Best Buy
# Its foreign-influence score on 2017-09-01 and the three
# strongest chains that bring risk to it, with the source
# behind every step. (Scores are shown rounded; the API
# answers with full precision.)
query ChainsToBestBuy {
  exposure(
    entityId: "retailer:best-buy"
    dimension: FOREIGN_INFLUENCE
    asOf: "2017-09-01"
  ) {
    score
    intrinsic
    propagated
    modelVersion
    topPaths(first: 3) {
      strength
      signal {
        reason
        entity { name }
      }
      steps {
        from { name }
        type
        flow
        to { name }
        confidence
        sources {
          source { name }
          excerpt
        }
      }
    }
  }
}
`,
  },
  {
    title: 'The timeline, by date',
    query: `# The timeline, by date
# The rules of the story in the order they took effect, each
# with its deadlines, and the day Best Buy stopped selling
# Kaspersky products. (The API lists entities by id, so the
# order comes from the aliases, one per event.)
query TheTimeline {
  gsaRemoval: entity(id: "directive:gsa-schedule-70-removal") {
    name
    validFrom
  }
  bestBuyStopsSelling: relationship(
    id: "retailer:best-buy-SELLS->product:kaspersky-anti-virus"
    asOf: "2017-09-01"
  ) {
    from { name }
    type
    to { name }
    validTo
  }
  bod1701: entity(id: "directive:bod-17-01") {
    name
    validFrom
    obligations { title due }
  }
  section1634: entity(id: "law:us-ndaa-fy2018-s1634") {
    name
    validFrom
    obligations { title due }
  }
  far52204_23: entity(id: "directive:far-52-204-23") {
    name
    validFrom
    obligations { title due }
  }
  fccCoveredList: entity(id: "directive:fcc-covered-list-2022") {
    name
    validFrom
  }
  bisFinalDetermination: entity(id: "directive:bis-icts-kaspersky-2024") {
    name
    validFrom
    obligations { title due }
  }
}
`,
  },
  {
    title: 'Search',
    query: `# Search
# Entities whose name, aliases or description match, misspelt
# or not.
query Search {
  search(text: "kasperski") {
    edges {
      node {
        id
        name
        kind
      }
      score
    }
  }
}
`,
  },
];
