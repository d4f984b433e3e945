package risk

import "slices"

// coded holds one value per edge as a 2-byte code into the distinct values while there are
// at most 1<<16 of them, and as the values themselves past that. Edge attributes come from
// short lists (confidences, validity periods), so at 5M relationships a code instead of a
// float64 saves 30 MB a pass for each attribute coded.
type coded[T comparable] struct {
	code  []uint16
	vals  []T          // by code
	index map[T]uint16 // code by value, while values are added
	raw   []T          // every value, once there are too many to code (then code is nil)
	// the last value added and its code: edges of one entity often share values.
	last   T
	lastOK bool
	lastC  uint16
}

// len is the number of values held.
func (c *coded[T]) len() int {
	if c.raw != nil {
		return len(c.raw)
	}
	return len(c.code)
}

// at is value i.
func (c *coded[T]) at(i int) T {
	if c.raw != nil {
		return c.raw[i]
	}
	return c.vals[c.code[i]]
}

// grow makes room for n more values.
func (c *coded[T]) grow(n int) {
	if c.raw != nil {
		c.raw = slices.Grow(c.raw, n)
		return
	}
	c.code = slices.Grow(c.code, n)
}

// add appends value x.
func (c *coded[T]) add(x T) {
	if c.raw != nil {
		c.raw = append(c.raw, x)
		return
	}
	if c.lastOK && c.last == x {
		c.code = append(c.code, c.lastC)
		return
	}
	k, ok := c.index[x]
	if !ok {
		if len(c.vals) == 1<<16 {
			c.raw = make([]T, len(c.code), max(cap(c.code), len(c.code)+1))
			for i, k := range c.code {
				c.raw[i] = c.vals[k]
			}
			c.code, c.vals, c.index, c.lastOK = nil, nil, nil, false
			c.raw = append(c.raw, x)
			return
		}
		if c.index == nil {
			c.index = map[T]uint16{}
		}
		k = uint16(len(c.vals))
		c.vals = append(c.vals, x)
		c.index[x] = k
	}
	c.code = append(c.code, k)
	c.last, c.lastOK, c.lastC = x, true, k
}

// done ends adding: the index goes, and the values keep only the room they use when more
// than an eighth of it was left unused.
func (c *coded[T]) done() {
	c.index, c.lastOK = nil, false
	c.code, c.raw = fit(c.code), fit(c.raw)
}

// permuted returns the values reordered: value i is c's value perm[i].
func (c *coded[T]) permuted(perm []int32) coded[T] {
	if c.raw != nil {
		return coded[T]{raw: permute(c.raw, perm)}
	}
	return coded[T]{code: permute(c.code, perm), vals: c.vals}
}
