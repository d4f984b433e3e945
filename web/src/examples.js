// Example queries that open as tabs the first time someone visits the playground.
// Each one walks through part of the Kaspersky / BOD 17-01 story in the seed data.
// build.mjs validates every query against ../schema.graphqls, so a renamed field
// breaks the build instead of the demo.

/** @type {{ title: string, query: string }[]} */
export const examples = [
  {
    title: 'Why is Best Buy exposed?',
    query: `# Why is Best Buy exposed?
# Its foreign-influence score on 2017-09-01 and the three
# strongest chains that carry risk to it, with the source
# behind every step.
query WhyIsBestBuyExposed {
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
    title: 'What did BOD 17-01 require?',
    query: `# What did BOD 17-01 require?
# The directive's obligations as of 2017-11-01, then which
# bound parties still offended on 2017-12-20.
query WhatDidBod1701Require {
  entity(id: "directive:bod-17-01", asOf: "2017-11-01") {
    name
    description
    validFrom
    obligations {
      title
      due
      status
      daysUntilDue
    }
    sources {
      source { name }
      excerpt
    }
  }
  compliance(directiveId: "directive:bod-17-01", asOf: "2017-12-20") {
    finalDue
    parties {
      party { name }
      status
      offending {
        type
        toId
      }
    }
  }
}
`,
  },
  {
    title: 'The timeline',
    query: `# The timeline
# Every directive with the dates it holds.
query TheTimeline {
  entities(kind: Directive, first: 50) {
    edges {
      node {
        id
        name
        validFrom
        validTo
      }
    }
  }
}
`,
  },
  {
    title: 'How is Best Buy linked to Russia?',
    query: `# How is Best Buy linked to Russia?
# What Best Buy is directly linked to (with the source of each
# link), then the simple paths of up to four relationships from
# it to the Russian state, shortest first.
query HowIsBestBuyLinkedToRussia {
  entity(id: "retailer:best-buy") {
    id
    name
    kind
    relationships(direction: OUT, first: 20) {
      edges {
        node {
          type
          to { id name kind }
          validFrom
          validTo
          sources {
            source { id name }
            excerpt
          }
        }
      }
    }
  }
  paths(
    fromId: "retailer:best-buy"
    toId: "government:russian-federation"
    maxHops: 4
    asOf: "2017-09-01"
  ) {
    length
    entities { name }
    relationships {
      type
      inferred
      confidence
    }
  }
}
`,
  },
  {
    title: 'Search',
    query: `# Search
# Entities whose name, aliases or description match.
query Search {
  search(text: "kaspersky") {
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
