import { setTimeout as sleep } from 'node:timers/promises';
import { Body, Controller, Get, Logger, Module, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { Public } from '#chorus/core';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsEmail, IsInt, IsOptional, IsString, Length, Max, Min, ValidateNested } from 'class-validator';

class ProbeAddressDto {
  @IsString()
  @Length(2, 2)
  country!: string;
}

class ProbeEchoDto {
  @IsEmail()
  email!: string;

  @IsInt()
  @Min(1)
  @Max(10)
  count!: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => ProbeAddressDto)
  address?: ProbeAddressDto;

  @IsOptional()
  @IsString({ each: true })
  @ArrayMaxSize(3)
  tags?: string[];
}

class ProbeSlowQuery {
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(5_000)
  ms!: number;
}

/** Endpoints the platform tests need and the product does not have: an echo, a crash, a slow call, a log line. */
@Public()
@Controller('probe')
class ProbeController {
  private readonly logger = new Logger('Probe');

  @Post('echo')
  echo(@Body() body: ProbeEchoDto): ProbeEchoDto {
    return body;
  }

  @Get('log')
  async log(): Promise<{ logged: true }> {
    // After an await, as services log: the request's context must survive it.
    await sleep(1);
    this.logger.log('serving the log probe');
    return { logged: true };
  }

  @Get('crash')
  crash(): never {
    throw new Error('connect to postgres://admin:hunter2@db.internal failed while running SELECT * FROM secrets');
  }

  @Get('slow')
  async slow(@Query() query: ProbeSlowQuery, @Req() request: Request): Promise<{ sleptMs: number }> {
    // Stop sleeping when the client is gone, so no timer outlives the test's app.
    const clientGone = new AbortController();
    request.socket.once('close', () => clientGone.abort());
    await sleep(query.ms, undefined, { signal: clientGone.signal }).catch(() => undefined);
    return { sleptMs: query.ms };
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}
