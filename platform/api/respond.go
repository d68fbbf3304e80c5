package api

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
)

// List is one page of a collection.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor" doc:"pass as ?cursor= for the next page; empty on the last page"`
}

// PageQuery are the query parameters of every list.
type PageQuery struct {
	Limit  int    `query:"limit" doc:"items per page (default 50, at most 200)"`
	Cursor string `query:"cursor" doc:"next_cursor of the previous page"`
}

// page reads ?limit and ?cursor, refusing values the server did not hand out.
func page(c *fiber.Ctx) (storage.Page, error) {
	p := storage.Page{Cursor: c.Query("cursor")}
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > storage.MaxPageSize {
			return p, failure.Field("limit", "must be a number from 1 to 200")
		}
		p.Limit = n
	}
	if p.Cursor != "" {
		if _, ok := storage.DecodeCursor(p.Cursor); !ok {
			return p, failure.Field("cursor", "is not a cursor this server returned")
		}
	}
	return p, nil
}

func list[T any](c *fiber.Ctx, items []T, next string) error {
	if items == nil {
		items = []T{}
	}
	return c.JSON(List[T]{Items: items, NextCursor: next})
}
