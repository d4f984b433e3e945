package resolvers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"riskgraph/internal/kg"
	"riskgraph/internal/service"
)

// Error codes carried in extensions.code.
const (
	CodeNotFound        = "NOT_FOUND"
	CodeInvalidInput    = "INVALID_INPUT"
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeLimitExceeded   = "LIMIT_EXCEEDED"
	CodeUnavailable     = "UNAVAILABLE"
	CodeInternal        = "INTERNAL"
)

// coded is an error the API shows as it is, with its code.
type coded struct {
	code string
	msg  string
}

func (e *coded) Error() string { return e.msg }

func errorf(code, format string, args ...any) error {
	return &coded{code: code, msg: fmt.Sprintf(format, args...)}
}

// ErrorPresenter turns resolver errors into GraphQL errors with extensions.code. Domain errors
// keep their message (it says what to fix); anything else is logged and shown as INTERNAL.
func ErrorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		var c *coded
		var v *kg.ValidationError
		switch {
		case errors.As(err, &c):
			setCode(gerr, c.code, c.msg)
		case errors.As(err, &v) && v.Limit:
			setCode(gerr, CodeLimitExceeded, v.Error())
		case errors.As(err, &v):
			setCode(gerr, CodeInvalidInput, v.Error())
		case errors.Is(err, service.ErrForbidden):
			setCode(gerr, CodeForbidden, gerr.Message)
		case errors.Is(err, service.ErrNotFound):
			setCode(gerr, CodeNotFound, gerr.Message)
		case errors.Is(err, kg.ErrInvalid):
			setCode(gerr, CodeInvalidInput, gerr.Message)
		case errors.Is(err, service.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
			log.WarnContext(ctx, "store unavailable", "path", gerr.Path.String(), "err", err)
			setCode(gerr, CodeUnavailable, "the graph store is unavailable; try again shortly")
		case errors.Is(err, context.Canceled):
			setCode(gerr, CodeUnavailable, "the request was cancelled")
		case errors.As(err, new(*gqlerror.Error)):
			// gqlgen's own errors (arguments that do not parse, limits) before any resolver ran.
			if code, _ := gerr.Extensions["code"].(string); code != "" {
				break
			}
			setCode(gerr, CodeInvalidInput, strings.TrimPrefix(gerr.Message, "input: "))
		default:
			log.ErrorContext(ctx, "resolver failed", "path", gerr.Path.String(), "err", err)
			setCode(gerr, CodeInternal, "internal error")
		}
		return gerr
	}
}

func setCode(e *gqlerror.Error, code, msg string) {
	e.Message = msg
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = code
}

// RecoverFunc turns a panic in a resolver into an INTERNAL error and logs it with its stack.
func RecoverFunc(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "resolver panicked", "panic", p)
		return errorf(CodeInternal, "internal error")
	}
}

// NormalizeCodes rewrites the codes of errors gqlgen raises before any resolver runs (parse,
// validation, complexity) into the API's codes, keeping the original as extensions.reason.
func NormalizeCodes(errs gqlerror.List) {
	for _, e := range errs {
		code, _ := e.Extensions["code"].(string)
		var to string
		switch code {
		case "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED":
			to = CodeInvalidInput
		case "COMPLEXITY_LIMIT_EXCEEDED", CodeLimitExceeded:
			to = CodeLimitExceeded
		case "PERSISTED_QUERY_NOT_FOUND", "PERSISTED_QUERY_NOT_SUPPORTED":
			continue // APQ clients look for these codes
		case "":
			to = CodeInvalidInput
		default:
			continue
		}
		if e.Extensions == nil {
			e.Extensions = map[string]any{}
		}
		if code != "" && code != to {
			e.Extensions["reason"] = code
		}
		e.Extensions["code"] = to
	}
}
